import path from 'node:path'
import Database from 'better-sqlite3'
import { expect, it, onTestFinished } from 'vitest'
import { expectConverged } from '../support/clusterConvergence.js'
import { faultFor, writersOnEveryInstance } from '../support/clusterScenario.js'
import { Workload } from '../support/clusterWorkload.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'

// [M4] SQLite queue watermarks and TTL (../shared/reliability.md): two BUS=sqlite instances,
// one frozen (SIGSTOP) for 30 s while the other takes writes, then resumed. Queue rows past
// their TTL are deleted only once every live instance's watermark has passed them (the frozen
// one counts as live until its watermarks go stale), and the resumed instance delivers the
// backlog to its clients in order.

const PAUSE_MS = 30_000
const TUNING = { BUS_MESSAGE_TTL_MS: '1000', BUS_CLEANUP_INTERVAL_MS: '200', BUS_WATERMARK_SAVE_MS: '1000' }
/** The queue treats an instance as dead once its watermarks are this old (10 saves). */
const LIVENESS_MS = 10 * 1_000

it('[M4] when one of two BUS=sqlite instances is frozen for 30 s while the other takes writes then expired rows it has not read stay while it counts as live, and once resumed it delivers the backlog in order and the rows are cleaned', async () => {
  const seed = seedFromEnv('M4_SEED', 20_261_213)
  const { cluster, canvasId, owner, replicas, instanceOf } = await writersOnEveryInstance({
    bus: 'sqlite',
    instances: 2,
    writers: 8,
    nginx: false,
    env: TUNING,
  })
  const frozen = cluster.instances[1]
  if (!frozen) throw new Error('no second instance')
  const frozenId = /"instanceId":"([^"]+)"[^\n]*"msg":"bus: sqlite message queue"/.exec(
    frozen.cli.stdout(),
  )?.[1]
  expect(frozenId, 'the instance logs its server_instance_id').toBeDefined()
  const db = new Database(path.join(cluster.dataDir, 'canvas.db'), { readonly: true, fileMustExist: true })
  onTestFinished(() => {
    db.close()
  })
  const watermarkOf = () =>
    (
      db
        .prepare(
          'SELECT last_processed_id AS w FROM canvas_watermarks WHERE canvas_id = ? AND server_instance_id = ?',
        )
        .get(canvasId, frozenId) as { w: number } | undefined
    )?.w
  const unreadIds = (watermark: number) =>
    db
      .prepare('SELECT id FROM message_queue WHERE canvas_id = ? AND id > ? ORDER BY id')
      .pluck()
      .all(canvasId, watermark) as number[]
  const expiredRows = () =>
    (
      db.prepare('SELECT count(*) AS n FROM message_queue WHERE expires_at <= ?').get(Date.now()) as {
        n: number
      }
    ).n

  // Writers on instance 0 only; instance 1's clients read.
  const writers = replicas.filter((r) => instanceOf(r) === 0)
  const workload = new Workload(writers, {
    canvasId,
    random: seededRandom(seed),
    endpoint: () => cluster.instances[0]?.baseUrl ?? '',
    opsPerSec: 20,
  })
  workload.start()
  await workload.waitForMoreAcks(50)
  await expect.poll(watermarkOf, { timeout: 5_000 }).toBeGreaterThan(0)

  cluster.pause(1)
  const pausedAt = Date.now()
  onTestFinished(() => cluster.resume(1))
  const watermark = watermarkOf() ?? 0
  // Rows the frozen instance has not read, written early in the freeze...
  await workload.waitForMoreAcks(20)
  const unread = unreadIds(watermark)
  expect(unread.length, 'rows queued for the frozen instance').toBeGreaterThan(0)
  // ...are still there long past their TTL (1 s) and dozens of cleanups (every 200 ms), as
  // long as the frozen instance counts as live.
  await faultFor(LIVENESS_MS - 2_000 - (Date.now() - pausedAt))
  const stillThere = unreadIds(watermark).filter((id) => unread.includes(id))
  expect(Date.now() - pausedAt, 'checked while the frozen instance counts as live').toBeLessThan(LIVENESS_MS)
  expect(stillThere, 'expired rows the frozen instance has not read').toEqual(unread)
  const kept = unread.length
  await faultFor(Math.max(0, PAUSE_MS - (Date.now() - pausedAt)))
  cluster.resume(1)
  await workload.waitForMoreAcks(50)
  await workload.stop()

  const last = await expectConverged({
    cluster,
    canvasId,
    reader: owner,
    replicas,
    acked: workload.acked,
    withinMs: 5_000,
  })
  // Once read everywhere, expired rows go.
  await expect.poll(expiredRows, { timeout: 5_000 }).toBe(0)
  process.stdout.write(
    `[M4] seed=${seed}: ${workload.acks.length} acks, log ${last}; ${kept} expired rows kept for the frozen instance\n`,
  )
}, 120_000)
