import net from 'node:net'

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: use in place of the server's baseUrl. */
  baseUrl: string
  /** Client connections currently open through the proxy. */
  readonly open: number
  /**
   * Drops every connection at once, as a network fault would: the client side gets a TCP RST
   * (ECONNRESET, no close frame), the server side is destroyed. New connections are still accepted.
   */
  resetAll(): void
  close(): Promise<void>
}

/**
 * A TCP proxy on 127.0.0.1 port 0 forwarding to `target` (`http://host:port`), for network
 * faults the client cannot tell from a real one [R1]. Bytes are piped untouched.
 */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target)
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>()
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: hostname, port: Number(port) })
    const pair = { client, upstream }
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    const drop = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    // Either side failing or ending takes the other down with it.
    client.on('error', drop)
    upstream.on('error', drop)
    client.on('close', drop)
    upstream.on('close', drop)
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
      // Node ≥ 18.3: SO_LINGER 0 then close, so the peer sees RST instead of FIN.
      pair.client.resetAndDestroy()
      pair.upstream.destroy()
    }
  }
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    get open() {
      return pairs.size
    },
    resetAll,
    async close() {
      resetAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
