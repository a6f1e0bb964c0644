import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local fake of the Anthropic Messages API (the one fake the tests allow): a real HTTP server
 * the SDK reaches through its `baseURL`. Each test says how it answers; it records every request.
 */
export interface FakeRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: Record<string, unknown>
}

/** Answers one request: write to `res`, or never answer (a provider that hangs). */
export type FakeHandler = (req: FakeRequest, res: http.ServerResponse) => void

export interface FakeAnthropic {
  url: string
  requests: FakeRequest[]
  /** How every request is answered from now on. */
  answer(handler: FakeHandler): void
  close(): Promise<void>
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const requests: FakeRequest[] = []
  let handler: FakeHandler = (_req, res) =>
    json(res, 500, { type: 'error', error: { type: 'api_error', message: 'no handler' } })
  const open = new Set<http.ServerResponse>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const request: FakeRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      }
      requests.push(request)
      open.add(res)
      res.on('close', () => open.delete(res))
      handler(request, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(h) {
      handler = h
    },
    async close() {
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/** A Messages API answer with these tool calls. */
export function toolUse(calls: { name: string; input: unknown }[], extra: Record<string, unknown> = {}) {
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content: calls.map((c, i) => ({ type: 'tool_use', id: `toolu_${i}`, name: c.name, input: c.input })),
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 1200, output_tokens: 60, cache_read_input_tokens: 1100 },
    ...extra,
  }
}
