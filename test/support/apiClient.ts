import type { FastifyInstance } from 'fastify'

/** One response shape for both transports, so a test reads the same over fetch and inject. */
export interface ApiResponse<T = unknown> {
  status: number
  /** Lower-case names; repeated headers joined by ", " (set-cookie is in `setCookies`). */
  headers: Record<string, string>
  setCookies: string[]
  text: string
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'OPTIONS'
  url: string
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown
  /** Sent as is (set `content-type` in `headers` yourself). */
  payload?: string | Buffer
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** Sent as `Cookie: session=<cookie>`. */
  sessionCookie?: string
  headers?: Record<string, string>
  /** The client IP the server sees; only app.inject can pretend to be elsewhere. */
  remoteAddress?: string
}

export interface ApiClient {
  send<T = unknown>(request: ApiRequest): Promise<ApiResponse<T>>
}

function requestHeaders(request: ApiRequest): Record<string, string> {
  const headers: Record<string, string> = {}
  if (request.json !== undefined) headers['content-type'] = 'application/json'
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`
  if (request.sessionCookie !== undefined) headers.cookie = `session=${request.sessionCookie}`
  return { ...headers, ...request.headers }
}

function requestBody(request: ApiRequest): string | Buffer | undefined {
  return request.json !== undefined ? JSON.stringify(request.json) : request.payload
}

function parseBody<T>(headers: Record<string, string>, text: string): T {
  const type = headers['content-type'] ?? ''
  return (type.includes('application/json') && text !== '' ? JSON.parse(text) : undefined) as T
}

/** Over a real socket to a listening server. */
export function fetchClient(baseUrl: string): ApiClient {
  return {
    async send<T>(request: ApiRequest): Promise<ApiResponse<T>> {
      if (request.remoteAddress !== undefined) throw new Error('fetchClient cannot set remoteAddress')
      const res = await fetch(new URL(request.url, baseUrl), {
        method: request.method,
        headers: requestHeaders(request),
        body: requestBody(request),
        redirect: 'manual',
      })
      const text = await res.text()
      const headers: Record<string, string> = {}
      res.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers[name] = value
      })
      return {
        status: res.status,
        headers,
        setCookies: res.headers.getSetCookie(),
        text,
        body: parseBody<T>(headers, text),
      }
    },
  }
}

/** In process through Fastify's inject: no socket, but the client IP can be chosen. */
export function injectClient(app: FastifyInstance, defaults: { remoteAddress?: string } = {}): ApiClient {
  return {
    async send<T>(request: ApiRequest): Promise<ApiResponse<T>> {
      const res = await app.inject({
        method: request.method,
        url: request.url,
        headers: requestHeaders(request),
        payload: requestBody(request),
        remoteAddress: request.remoteAddress ?? defaults.remoteAddress,
      })
      const headers: Record<string, string> = {}
      let setCookies: string[] = []
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue
        if (name === 'set-cookie') setCookies = Array.isArray(value) ? value : [String(value)]
        else headers[name] = Array.isArray(value) ? value.join(', ') : String(value)
      }
      return {
        status: res.statusCode,
        headers,
        setCookies,
        text: res.body,
        body: parseBody<T>(headers, res.body),
      }
    },
  }
}
