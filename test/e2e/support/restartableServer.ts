import { startCli, type CliProcess } from '../../support/cli.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from '../../support/serverProcess.js'
import { tempDir } from '../../support/tempDir.js'

/**
 * The built server (`node dist/server/main.js serve`) as a child process on 127.0.0.1, which a
 * test can SIGKILL and start again on the same port and data directory: the pages keep their
 * URL, so their sockets come back to the same address, as after a real crash and restart.
 */
export interface RestartableServer {
  /** `http://127.0.0.1:<port>`, the same across restarts. */
  readonly baseUrl: string
  readonly dataDir: string
  /** SIGKILL: no graceful close, no close frames; resolves once the process is gone. */
  kill(): Promise<void>
  /** Starts it again on the same port and data directory; resolves once /health answers. */
  restart(): Promise<void>
  /** Kills it (if running) and deletes the data directory. */
  close(): Promise<void>
  /** The current process's output, for failure messages. */
  output(): string
}

const START_TIMEOUT_MS = 30_000

/** A RegExp matching `text` literally. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
}

export async function startRestartableServer(): Promise<RestartableServer> {
  const dir = tempDir('collabcanvas-e2e-')
  const spawnServer = (port: number): CliProcess =>
    startCli(['serve'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dir.path,
      // info, not warn: the "listening" line proves that this process holds the port.
      LOG_LEVEL: 'info',
    })
  const listening = (cli: CliProcess, port: number) =>
    cli.waitForStdout(literal(`"msg":"${listeningMessage(port)}"`), START_TIMEOUT_MS)
  const describe = (cli: CliProcess) => `stdout: ${cli.stdout().slice(-4_000)}\nstderr: ${cli.stderr()}`

  let started: { server: CliProcess; port: number; baseUrl: string }
  try {
    started = await startOnFreePort({
      start: spawnServer,
      listening,
      stop: (cli) => killAndWait(cli.child, cli.exited),
      output: (cli) => cli.stdout() + cli.stderr(),
    })
    await waitForHealth(started.baseUrl, started.server.child, () => describe(started.server))
  } catch (err) {
    dir.remove()
    throw err
  }
  const { port, baseUrl } = started
  let current: CliProcess | undefined = started.server

  const kill = async () => {
    const cli = current
    current = undefined
    if (cli) await killAndWait(cli.child, cli.exited, 'SIGKILL')
  }

  return {
    baseUrl,
    dataDir: dir.path,
    kill,
    async restart() {
      if (current) throw new Error('restart() while the server is running: kill() it first')
      const cli = spawnServer(port)
      current = cli
      // The port was ours a moment ago; only another process grabbing it in between fails this
      // (EADDRINUSE in the output).
      await listening(cli, port)
      await waitForHealth(baseUrl, cli.child, () => describe(cli))
    },
    async close() {
      await kill()
      dir.remove()
    },
    output: () => (current ? describe(current) : '(not running)'),
  }
}
