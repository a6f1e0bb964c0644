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
  /**
   * Delays every chunk by `ms` in both directions, order kept (a slow link); 0 turns it off.
   * Chunks already waiting keep their delay.
   */
  setLatency(ms: number): void
  /**
   * A partition: while on, every byte in both directions is discarded and new connections are
   * accepted but hear nothing (no reset, no refusal: the peer sees silence, as with dropped
   * packets). Turning it off resets the connections that lived through it (their streams
   * are torn) so the peers reconnect.
   */
  setBlackhole(on: boolean): void
  /**
   * A stall: while on, bytes in both directions are held; turning it off delivers them, in
   * order (a link that stops, then catches up, losing nothing).
   */
  setStalled(on: boolean): void
  close(): Promise<void>
}

interface Pair {
  client: net.Socket
  upstream: net.Socket
  held: Buffer[] | undefined
  /** Bytes to the client held by a stall. */
  heldDown: Buffer[] | undefined
  /** Lived through a blackhole: reset when it ends. */
  torn: boolean
  /** When the last delayed chunk in each direction goes out, so order is kept. */
  upDueAt: number
  downDueAt: number
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
  let latencyMs = 0
  let blackhole = false
  let stalled = false
  const pairs = new Set<Pair>()
  /** Writes `chunk` after the current latency, never before a chunk sent earlier that way. */
  const later = (pair: Pair, direction: 'upDueAt' | 'downDueAt', to: net.Socket, chunk: Buffer) => {
    if (latencyMs === 0 && pair[direction] <= Date.now()) {
      to.write(chunk)
      return
    }
    const due = Math.max(Date.now() + latencyMs, pair[direction])
    pair[direction] = due
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk)
    }, due - Date.now())
  }

  const server = net.createServer((client) => {
    if (offline) {
      client.resetAndDestroy()
      return
    }
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) })
    const pair: Pair = {
      client,
      upstream,
      held: holding || stalled ? [] : undefined,
      heldDown: stalled ? [] : undefined,
      torn: blackhole,
      upDueAt: 0,
      downDueAt: 0,
    }
    pairs.add(pair)
    client.on('data', (chunk: Buffer) => {
      if (blackhole) return
      if (pair.held !== undefined) pair.held.push(chunk)
      else later(pair, 'upDueAt', upstream, chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (blackhole || dropping) return
      if (pair.heldDown !== undefined) pair.heldDown.push(chunk)
      else later(pair, 'downDueAt', client, chunk)
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
    setLatency(ms) {
      latencyMs = ms
    },
    setBlackhole(on) {
      blackhole = on
      if (on) {
        for (const pair of pairs) pair.torn = true
        return
      }
      for (const pair of [...pairs]) {
        if (!pair.torn) continue
        pairs.delete(pair)
        pair.client.resetAndDestroy()
        pair.upstream.destroy()
      }
    },
    setStalled(on) {
      stalled = on
      for (const pair of pairs) {
        if (on) {
          pair.held ??= []
          pair.heldDown ??= []
          continue
        }
        const up = holding ? [] : (pair.held ?? [])
        const down = pair.heldDown ?? []
        if (!holding) pair.held = undefined
        pair.heldDown = undefined
        for (const chunk of up) later(pair, 'upDueAt', pair.upstream, chunk)
        for (const chunk of down) later(pair, 'downDueAt', pair.client, chunk)
      }
    },
    async close() {
      resetAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
