import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** The Redis tests use (never skip: a test fails with how to get it when it is not running). */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? DEFAULT_REDIS_URL
}

/** A prefix of its own per test, so tests (and other engineers' runs) sharing one Redis never meet. */
export function testRedisPrefix(): string {
  return `cc-test:${randomUUID().slice(0, 8)}:`
}

/** An admin connection; fails with instructions when Redis is not reachable. */
export async function redisAdmin(): Promise<Redis> {
  const admin = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await admin.connect()
  } catch (err) {
    admin.disconnect()
    throw new Error(
      `Redis is required (set REDIS_URL, default ${DEFAULT_REDIS_URL}; .ci/run starts it): ${String(err)}`,
      { cause: err },
    )
  }
  return admin
}

/** Cuts the connections named `name` (CLIENT KILL), as a network partition or a Redis restart would. */
export async function killRedisClient(name: string): Promise<void> {
  const admin = await redisAdmin()
  try {
    const list = (await admin.client('LIST')) as string
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined)
    if (ids.length === 0) throw new Error(`no Redis client named ${name}`)
    for (const id of ids) await admin.client('KILL', 'ID', id)
  } finally {
    admin.disconnect()
  }
}
