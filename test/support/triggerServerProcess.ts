import { startCli, type CliProcess } from './cli.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from './serverProcess.js'

export interface ServerProcess {
  cli: CliProcess
  baseUrl: string
  kill(): Promise<void>
}

function describeOutput(cli: CliProcess): string {
  return `stdout: ${cli.stdout().slice(-4_000)}\nstderr: ${cli.stderr().slice(-4_000)}`
}

/** `collabcanvas serve` as a child process on DATA_DIR `dataDir`, resolved once /health answers. */
export async function startServerProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const { server, baseUrl } = await startOnFreePort({
    start: (port) =>
      startCli(['serve'], {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        REGISTRATIONS_PER_HOUR: '100000',
        ...env,
      }),
    listening: (s, port) =>
      s.waitForStdout(new RegExp(listeningMessage(port).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 30_000),
    stop: (s) => killAndWait(s.child, s.exited),
    output: (s) => s.stdout() + s.stderr(),
  })
  await waitForHealth(baseUrl, server.child, () => describeOutput(server))
  return {
    cli: server,
    baseUrl,
    kill: async () => {
      await killAndWait(server.child, server.exited)
    },
  }
}
