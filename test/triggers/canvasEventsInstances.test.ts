import { afterEach, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { runCli } from '../support/cli.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import { useTestSchema } from '../support/postgres.js'
import { tempDir } from '../support/tempDir.js'
import { generateKey, readInbox, withKey } from '../support/triggerFixtures.js'
import { startServerProcess } from '../support/triggerServerProcess.js'

// [CEV1] Two instances on one database both run the canvas event consumer: whichever consumes a
// canvas's entries, each edit becomes exactly one event, in seq order. Real server processes on
// one SQLite file and on one PostgreSQL schema; needs the built CLI (npm run build).

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const EDITS = 60

async function exactlyOnceAcrossInstances(env: Record<string, string>) {
  const dir = tempDir('collabcanvas-cev-multi-')
  cleanups.push(() => dir.remove())
  const a = await startServerProcess(dir.path, env)
  cleanups.push(() => a.kill())
  const b = await startServerProcess(dir.path, env)
  cleanups.push(() => b.kill())
  const [apiA, apiB] = [fetchClient(a.baseUrl), fetchClient(b.baseUrl)]
  const owner = await registerUser(apiA)
  const key = await generateKey(apiA, owner)
  const tier = await runCli(['keys', 'set-tier', key.keyId, 'enterprise'], {
    DATA_DIR: dir.path,
    LOG_LEVEL: 'silent',
    ...env,
  })
  expect(tier.code, tier.stderr).toBe(0)
  const canvas = await createCanvas(apiA, owner, 'Two instances')
  // Edits go through one instance's room (rooms are per instance without a shared bus); both
  // instances' consumers race for the log.
  for (let i = 0; i < EDITS; i++) {
    const res = await apiA.send(
      withKey(key, {
        method: 'POST',
        url: `/api/canvases/${canvas.id}/objects`,
        json: { object: { id: `n${i}`, type: 'text', text: `note ${i}` } },
      }),
    )
    expect(res.status, res.text).toBe(201)
  }
  const objectEvents = async () =>
    (await readInbox(apiB, key, '&type=canvas.object.created', 200)).map((e) => e.payload.seq)
  await expect
    .poll(async () => (await objectEvents()).length, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(EDITS)
  expect(await objectEvents()).toEqual(Array.from({ length: EDITS }, (_, i) => i + 1))
}

describe('canvas events with several instances', () => {
  it('[CEV1] when two processes on one SQLite file consume the log, then each edit is exactly one event, in seq order', async () => {
    await exactlyOnceAcrossInstances({})
  })

  it('[CEV1] when two instances on one PostgreSQL database consume the log, then each edit is exactly one event, in seq order', async () => {
    const schema = await useTestSchema()
    await exactlyOnceAcrossInstances({ DATABASE_URL: schema.url })
  })
})
