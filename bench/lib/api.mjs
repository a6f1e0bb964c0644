/**
 * A small JSON client for CollabCanvas's HTTP API (contract "Accounts", "Canvases"), used to
 * set up users and shared canvases before a WebSocket scenario. Bearer-token auth, keep-alive.
 *
 * Not run directly; imported by bench/lib/setup.mjs.
 */
import http from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import { URL } from 'node:url'

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })

/** 503 answers retried so far, reported by the bench so a server fault stays visible. */
export const retried = { count: 0, last: undefined }

/**
 * One request; a 503 (e.g. storage_unavailable) is retried up to 3 times after 200 ms, since
 * setup should not die on a transient fault, and counted in `retried`.
 */
export async function apiRequest(baseUrl, method, path, options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await requestOnce(baseUrl, method, path, options)
    } catch (err) {
      if (err.status !== 503 || attempt > 3) throw err
      retried.count++
      retried.last = err.message
      await delay(200)
    }
  }
}

function requestOnce(baseUrl, method, path, { token, body } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const headers = { accept: 'application/json' }
  if (payload !== undefined) headers['content-type'] = 'application/json'
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { method, headers, agent, timeout: 30_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (text += c))
      res.on('end', () => {
        let json
        try {
          json = text === '' ? undefined : JSON.parse(text)
        } catch {
          json = undefined
        }
        if (res.statusCode >= 400) {
          reject(
            Object.assign(new Error(`${method} ${path} → ${res.statusCode}: ${text.slice(0, 300)}`), {
              status: res.statusCode,
            }),
          )
        } else resolve(json)
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)))
    req.on('error', reject)
    req.end(payload)
  })
}

/** Runs `task(item, index)` over `items` with at most `limit` in flight; results in order. */
export async function inParallel(items, limit, task) {
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

export function closeApiAgent() {
  agent.destroy()
}

/**
 * Makes `member` an editor of the canvas as the app does since invitations: the owner invites
 * the email, the member accepts (sharing adds nobody without consent).
 */
export async function shareAsEditor(baseUrl, ownerToken, canvasId, member) {
  const res = await apiRequest(baseUrl, 'POST', `/api/canvases/${canvasId}/members`, {
    token: ownerToken,
    body: { email: member.email, role: 'editor' },
  })
  if (res?.invite?.id === undefined) return
  await apiRequest(baseUrl, 'POST', `/api/invites/${res.invite.id}/accept`, { token: member.token })
}
