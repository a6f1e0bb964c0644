import { expect } from 'vitest'
import type { ApiClient, ApiRequest } from './apiClient.js'
import type { TestUser } from './fixtures.js'

export interface TestKey {
  apiKey: string
  keyId: string
  prefix: string
}

/** A new API key for `user`, made with their session. */
export async function generateKey(api: ApiClient, user: TestUser, name = 'test key'): Promise<TestKey> {
  const res = await api.send<TestKey>({
    method: 'POST',
    url: '/api/keys/generate',
    token: user.token,
    json: { name },
  })
  expect(res.status, res.text).toBe(201)
  return res.body
}

/** `request` sent with the key in `X-API-Key`. */
export function withKey(key: TestKey | string, request: ApiRequest): ApiRequest {
  const apiKey = typeof key === 'string' ? key : key.apiKey
  return { ...request, headers: { ...request.headers, 'x-api-key': apiKey } }
}

export async function postEvent(
  api: ApiClient,
  key: TestKey,
  body: { type: string; payload: object; dedupId?: string },
): Promise<string> {
  const res = await api.send<{ id: string }>(withKey(key, { method: 'POST', url: '/api/events', json: body }))
  expect(res.status, res.text).toBe(202)
  return res.body.id
}

export interface InboxEvent {
  id: string
  type: string
  payload: Record<string, unknown>
  status: 'pending' | 'acked'
  createdAt: string
}

export interface InboxPage {
  events: InboxEvent[]
  nextCursor: string | null
  hasMore: boolean
}

/** Every page of the inbox for `query`, following nextCursor. */
export async function readInbox(
  api: ApiClient,
  key: TestKey,
  query = '',
  pageSize = 100,
): Promise<InboxEvent[]> {
  const events: InboxEvent[] = []
  let cursor: string | null = null
  let hasMore = true
  while (hasMore) {
    const url: string = `/api/inbox?limit=${pageSize}${query}${cursor === null ? '' : `&cursor=${cursor}`}`
    const res = await api.send<InboxPage>(withKey(key, { method: 'GET', url }))
    expect(res.status, res.text).toBe(200)
    events.push(...res.body.events)
    cursor = res.body.nextCursor
    hasMore = res.body.hasMore
  }
  return events
}
