/** How long one slice of encoding may hold the event loop. */
const SLICE_MS = 4

const OPEN = Buffer.from('[')
const CLOSE = Buffer.from(']')
const COMMA = Buffer.from(',')

/**
 * JSON of `items` as an array, encoded a slice at a time with the event loop free in between: a
 * canvas at its byte budget costs everyone else a few ms at a time, not one long stall, and the
 * result is bytes, never one string that could outgrow what V8 can hold [ROOM27].
 */
export async function encodeArrayInSlices(items: readonly unknown[]): Promise<Buffer> {
  const parts: Buffer[] = [OPEN]
  let slice: string[] = []
  let sliceStart = performance.now()
  const flush = () => {
    if (slice.length === 0) return
    if (parts.length > 1) parts.push(COMMA)
    parts.push(Buffer.from(slice.join(',')))
    slice = []
  }
  for (let i = 0; i < items.length; i++) {
    slice.push(JSON.stringify(items[i]))
    // Checking the clock every 32 items keeps its cost out of small canvases.
    if ((i & 31) === 31 && performance.now() - sliceStart > SLICE_MS) {
      flush()
      await new Promise<void>((resolve) => setImmediate(resolve))
      sliceStart = performance.now()
    }
  }
  flush()
  parts.push(CLOSE)
  return Buffer.concat(parts)
}

/** `message` as JSON with `key` added last, set to already-encoded JSON bytes. */
export function withEncoded(message: object, key: string, encoded: Buffer): Buffer {
  const head = JSON.stringify(message)
  const open = head.length > 2 ? `${head.slice(0, -1)},${JSON.stringify(key)}:` : `{${JSON.stringify(key)}:`
  return Buffer.concat([Buffer.from(open), encoded, Buffer.from('}')])
}
