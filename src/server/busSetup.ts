import type { FastifyBaseLogger } from 'fastify'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { CanvasBus } from '../log/canvasBus.js'
import { MemoryCanvasBus } from '../log/memory/memoryCanvasBus.js'
import type { OpLog } from '../log/opLog.js'
import { createRedisCanvasBus, REDIS_BUS_DEFAULTS } from '../log/redis/redisCanvasBus.js'
import { RedisSocketCounts } from '../log/redis/redisSocketCounts.js'
import { LocalSocketCounts, type SocketCounts } from '../log/socketCounts.js'
import { createSqliteQueueBus, SQLITE_QUEUE_DEFAULTS } from '../log/sqlite/sqliteQueueBus.js'
import { SqliteSocketCounts } from '../log/sqlite/sqliteSocketCounts.js'
import { ConfigError, type Config } from './config.js'

/** What BUS picks: the bus, and the per-deployment counters kept beside it. */
export interface Deployment {
  bus: CanvasBus
  socketCounts: SocketCounts
}

/**
 * Picks the bus BUS names and gives it its metrics (docs/scaling.md):
 * memory: one process; sqlite: processes sharing DATA_DIR; redis: instances anywhere.
 */
export function createDeployment(
  config: Readonly<Config>,
  opLog: OpLog,
  logger: FastifyBaseLogger,
  registry: Registry,
): Deployment {
  const bus = createBus(config, opLog, logger, registry)
  const onError = throttledWarn(logger)
  const timing = (defaults: { presenceHeartbeatMs: number; presenceExpiryMs: number }) => ({
    heartbeatMs: config.busTuning.presenceHeartbeatMs ?? defaults.presenceHeartbeatMs,
    expiryMs: config.busTuning.presenceExpiryMs ?? defaults.presenceExpiryMs,
  })
  switch (config.bus) {
    case 'memory':
      return { bus, socketCounts: new LocalSocketCounts() }
    case 'sqlite':
      return {
        bus,
        socketCounts: new SqliteSocketCounts({
          dataDir: config.dataDir,
          instanceId: bus.instanceId,
          ...timing(SQLITE_QUEUE_DEFAULTS),
          onError,
        }),
      }
    case 'redis':
      return {
        bus,
        socketCounts: new RedisSocketCounts({
          redisUrl: config.redisUrl ?? '',
          instanceId: bus.instanceId,
          ...timing(REDIS_BUS_DEFAULTS),
          onError,
        }),
      }
    default:
      return config.bus satisfies never
  }
}

function createBus(
  config: Readonly<Config>,
  opLog: OpLog,
  logger: FastifyBaseLogger,
  registry: Registry,
): CanvasBus {
  // Bus errors are transient by design (a lost message costs a log read): warn, rate-limited.
  const onError = throttledWarn(logger)
  const headSeq = (canvasId: string) => opLog.headSeq(canvasId)
  const registers = [registry]
  switch (config.bus) {
    case 'memory':
      return new MemoryCanvasBus()
    case 'sqlite': {
      const sent = new Counter({
        name: 'bus_messages_sent_total',
        help: 'Messages written to the bus queue',
        registers,
      })
      const received = new Counter({
        name: 'bus_messages_received_total',
        help: 'Queue rows read by polls',
        registers,
      })
      const pollSeconds = new Histogram({
        name: 'bus_poll_seconds',
        help: 'Duration of one poll of the message queue',
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
        registers,
      })
      const bus = createSqliteQueueBus({
        dataDir: config.dataDir,
        headSeq,
        tuning: config.busTuning,
        onError,
        observer: {
          polled: (ms, rows) => {
            pollSeconds.observe(ms / 1000)
            received.inc(rows)
          },
          sent: (count) => sent.inc(count),
        },
      })
      const stats = () => bus.transport.queueStats()
      const gauge = (name: string, help: string, value: () => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(value())
          },
        })
      gauge('bus_queue_messages', 'Rows in message_queue', () => stats().size)
      gauge(
        'bus_queue_oldest_age_seconds',
        'Age of the oldest row in message_queue',
        () => stats().oldestAgeMs / 1000,
      )
      gauge(
        'bus_queue_backlog_messages',
        'Rows a live instance has not processed yet (health: 1,000 warning, 5,000 critical)',
        () => stats().backlog,
      )
      gauge(
        'bus_queue_backlog_oldest_age_seconds',
        'Age of the oldest unprocessed row (health: 10 s warning, 30 s critical)',
        () => stats().backlogOldestAgeMs / 1000,
      )
      gauge('bus_queue_watermark_min', "This instance's lowest watermark over its canvases", () => {
        const marks = [...stats().watermarks.values()]
        return marks.length > 0 ? Math.min(...marks) : 0
      })
      gauge('bus_queue_watched_canvases', 'Canvases this instance polls', () => stats().watermarks.size)
      logger.info({ instanceId: bus.instanceId, tuning: config.busTuning }, 'bus: sqlite message queue')
      return bus
    }
    case 'redis': {
      if (config.redisUrl === undefined) throw new ConfigError('REDIS_URL is required when BUS=redis')
      const published = new Counter({
        name: 'bus_messages_sent_total',
        help: 'Messages published to Redis',
        registers,
      })
      const received = new Counter({
        name: 'bus_messages_received_total',
        help: 'Messages received from Redis',
        registers,
      })
      const bus = createRedisCanvasBus({
        redisUrl: config.redisUrl,
        headSeq,
        tuning: config.busTuning,
        onError,
        observer: { published: (n) => published.inc(n), received: (n) => received.inc(n) },
      })
      logger.info({ instanceId: bus.instanceId }, 'bus: redis')
      return bus
    }
    default:
      return config.bus satisfies never
  }
}

/** At most one warning per kind of failure every 10 s: a Redis outage must not flood the log. */
function throttledWarn(logger: FastifyBaseLogger): (err: unknown, what: string) => void {
  const last = new Map<string, number>()
  return (err, what) => {
    const now = Date.now()
    if (now - (last.get(what) ?? 0) < 10_000) return
    last.set(what, now)
    logger.warn({ err }, `bus: ${what} failed`)
  }
}
