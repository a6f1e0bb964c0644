import { describe, expect, it, onTestFinished } from 'vitest'
import type { AiCommandBody, AiQuotaBody } from '../../src/protocol/aiHttpTypes.js'
import { fetchClient, type ApiClient } from '../support/apiClient.js'
import { startCluster, type ClusterBus } from '../support/cluster.js'
import { expectError } from '../support/expectError.js'
import { createCanvas, registerUser, type TestUser } from '../support/fixtures.js'

// [AI8] The per-user AI command limit is the deployment's, not each process's: commands spent on
// two instances sharing one store (BUS=sqlite on one DATA_DIR; PostgreSQL + Redis) count together,
// and both instances show the same quota.

const LIMIT = 4

describe.each<ClusterBus>(['sqlite', 'redis'])('[AI8] AI quota across instances, BUS=%s', (bus) => {
  it(`[AI8] when a user spends ${LIMIT} commands over two instances, then the next is refused with 429 and Retry-After on either, and GET /api/ai/quota agrees on both`, async () => {
    const cluster = await startCluster({
      bus,
      instances: 2,
      nginx: false,
      env: { AI_COMMANDS_PER_HOUR: String(LIMIT) },
    })
    onTestFinished(() => cluster.stop())
    const [a, b] = cluster.instances.map((i) => fetchClient(i.baseUrl)) as [ApiClient, ApiClient]
    const user = await registerUser(a)
    const canvas = await createCanvas(a, user)
    const command = (api: ApiClient) =>
      api.send<AiCommandBody>({
        method: 'POST',
        url: `/api/canvases/${canvas.id}/ai`,
        token: user.token,
        json: { command: 'add a badge' },
      })
    const quotaOn = async (api: ApiClient, who: TestUser) => {
      const res = await api.send<AiQuotaBody>({ method: 'GET', url: '/api/ai/quota', token: who.token })
      expect(res.status, res.text).toBe(200)
      return res.body.quota
    }

    // Alternating instances: each answer counts what both have taken.
    for (let i = 0; i < LIMIT; i++) {
      const res = await command(i % 2 === 0 ? a : b)
      expect(res.status, res.text).toBe(200)
      expect(res.body.quota).toEqual({ limit: LIMIT, remaining: LIMIT - 1 - i, retryAfterSec: 0 })
      expect(await quotaOn(a, user)).toEqual(await quotaOn(b, user))
    }

    for (const api of [a, b]) {
      const refused = await command(api)
      expectError(refused, 429, 'rate_limited')
      const retryAfter = Number(refused.headers['retry-after'])
      // One command comes back every 3600 / LIMIT s.
      expect(retryAfter).toBeGreaterThan(3600 / LIMIT - 60)
      expect(retryAfter).toBeLessThanOrEqual(3600 / LIMIT)
      expect(refused.headers['x-ai-quota-remaining']).toBe('0')
    }
    const [onA, onB] = [await quotaOn(a, user), await quotaOn(b, user)]
    expect(onA).toMatchObject({ limit: LIMIT, remaining: 0 })
    expect(onB).toMatchObject({ limit: LIMIT, remaining: 0 })
    // Read a moment apart on a real clock: the same bucket, within a second's refill.
    expect(Math.abs(onA.retryAfterSec - onB.retryAfterSec)).toBeLessThanOrEqual(1)

    // Another user's quota is their own, on both instances.
    const other = await registerUser(b)
    expect(await quotaOn(a, other)).toEqual({ limit: LIMIT, remaining: LIMIT, retryAfterSec: 0 })
    expect(await quotaOn(b, other)).toEqual({ limit: LIMIT, remaining: LIMIT, retryAfterSec: 0 })
  })
})
