import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { registerUser } from '../support/fixtures.js'
import { useTestSchema } from '../support/postgres.js'
import { tempDir } from '../support/tempDir.js'
import { generateKey, withKey, type TestKey } from '../support/triggerFixtures.js'
import { startServerProcess } from '../support/triggerServerProcess.js'

// [RL1] A key's limit holds however its requests spread over the instances of a deployment: two
// real server processes on one SQLite file, on one PostgreSQL schema, and with REDIS_URL. Needs
// the built CLI (npm run build; npm test builds first).

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Two instances sharing `env`'s storage, a user and a free key (10 requests a minute). */
async function twoInstances(env: Record<string, string>) {
  const dir = tempDir('collabcanvas-rl-')
  cleanups.push(() => dir.remove())
  const a = await startServerProcess(dir.path, env)
  cleanups.push(() => a.kill())
  const b = await startServerProcess(dir.path, env)
  cleanups.push(() => b.kill())
  const user = await registerUser(fetchClient(a.baseUrl))
  const key = await generateKey(fetchClient(a.baseUrl), user)
  return { instances: [fetchClient(a.baseUrl), fetchClient(b.baseUrl)], key }
}

/**
 * Twelve requests, alternating between the instances. One token comes back every 6 s, far more
 * than twelve local requests take, so exactly ten pass, counting down from 9 across both.
 */
async function expectSharedBucket(instances: ReturnType<typeof fetchClient>[], key: TestKey) {
  const started = Date.now()
  const answers: { status: number; remaining: string | undefined; retryAfter: string | undefined }[] = []
  for (let i = 0; i < 12; i++) {
    const res = await instances[i % 2]!.send(withKey(key, { method: 'GET', url: '/api/inbox' }))
    answers.push({
      status: res.status,
      remaining: res.headers['x-ratelimit-remaining'],
      retryAfter: res.headers['retry-after'],
    })
  }
  const elapsed = Date.now() - started
  expect(elapsed, 'the requests took longer than a token takes to come back').toBeLessThan(6_000)
  expect(answers.map((a) => a.status)).toEqual([...Array<number>(10).fill(200), 429, 429])
  expect(answers.slice(0, 10).map((a) => a.remaining)).toEqual([
    '9',
    '8',
    '7',
    '6',
    '5',
    '4',
    '3',
    '2',
    '1',
    '0',
  ])
  expect(answers[10]?.retryAfter).toMatch(/^[1-6]$/)
}

describe('rate limits across instances', () => {
  it('[RL1] when two processes share one SQLite data directory, then a key’s requests to both count against one bucket', async () => {
    const { instances, key } = await twoInstances({})
    await expectSharedBucket(instances, key)
  })

  it('[RL1] when two instances share one PostgreSQL database, then a key’s requests to both count against one bucket', async () => {
    const schema = await useTestSchema()
    const { instances, key } = await twoInstances({ DATABASE_URL: schema.url })
    await expectSharedBucket(instances, key)
  })

  it('[RL1] when REDIS_URL is set, then the buckets are in Redis and a key’s requests to both instances count against one', async () => {
    const redisUrl = process.env.REDIS_URL
    if (redisUrl === undefined)
      throw new Error('set REDIS_URL (redis://127.0.0.1:6379; Redis must be running)')
    const { instances, key } = await twoInstances({ REDIS_URL: redisUrl })
    await expectSharedBucket(instances, key)
    const redis = new Redis(redisUrl)
    cleanups.push(() => redis.quit())
    expect(await redis.hget(`collabcanvas:rate:${key.keyId}`, 'tokens')).not.toBeNull()
  })
})
