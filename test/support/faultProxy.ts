import net from 'node:net'

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: stays the same when the server behind it changes. */
  baseUrl: string
  /** The same address as `ws://…`. */
  wsBaseUrl: string
  /** Connections from now on go to `target` (`http://host:port`), e.g. a restarted server. */
  retarget(target: string): void
  /**
   * Offline: every open connection is reset (the client sees a dropped network, no close frame)
   * and new ones are refused until `setOffline(false)`.
   */
  setOffline(offline: boolean): void
  /** Holds the bytes clients send until released: the server has not seen them yet. */
  holdUpstream(): void
  releaseUpstream(): void
  /**
   * Discards every byte the server sends to clients (acks included) while on: the server
   * commits, the client never hears. Reset the connections after, their frames are torn.
   */
  dropDownstream(on: boolean): void
  resetAll(): void
  close(): Promise<void>
}

interface Pair {
  client: net.Socket
  upstream: net.Socket
  held: Buffer[] | undefined
}

/**
 * A TCP proxy on 127.0.0.1 port 0 for network faults a client cannot tell from real ones: a
 * stable address across server restarts, an offline switch, connections reset with RST
 * (`resetAll`: the client sees ECONNRESET, no close frame), held and lost bytes.
 */
export async function startFaultProxy(initialTarget: string): Promise<FaultProxy> {
  let target = new URL(initialTarget)
  let offline = false
  let holding = false
  let dropping = false
  const pairs = new Set<Pair>()

  const server = net.createServer((client) => {
    if (offline) {
      client.resetAndDestroy()
      return
    }
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) })
    const pair: Pair = { client, upstream, held: holding ? [] : undefined }
    pairs.add(pair)
    client.on('data', (chunk: Buffer) => {
      if (pair.held !== undefined) pair.held.push(chunk)
      else upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (!dropping) client.write(chunk)
    })
    const drop = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    // Either side failing or ending takes the other with it; a refused upstream is a dropped client.
    for (const socket of [client, upstream]) {
      socket.on('error', drop)
      socket.on('close', drop)
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string')
    throw new Error(`unexpected address ${String(address)}`)

  const resetAll = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair)
      pair.client.resetAndDestroy()
      pair.upstream.destroy()
    }
  }
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    wsBaseUrl: `ws://127.0.0.1:${address.port}`,
    retarget(next) {
      target = new URL(next)
    },
    setOffline(on) {
      offline = on
      if (on) resetAll()
    },
    holdUpstream() {
      holding = true
      for (const pair of pairs) pair.held ??= []
    },
    releaseUpstream() {
      holding = false
      for (const pair of pairs) {
        const held = pair.held ?? []
        pair.held = undefined
        for (const chunk of held) pair.upstream.write(chunk)
      }
    },
    dropDownstream(on) {
      dropping = on
    },
    resetAll,
    async close() {
      resetAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
