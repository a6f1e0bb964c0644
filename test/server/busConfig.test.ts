import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/server/config.js'

describe('BUS_* tunables (docs/scaling.md)', () => {
  it('when none is set then the bus keeps its defaults (no field is set)', () => {
    expect(loadConfig({ BUS: 'sqlite' }, '/').busTuning).toEqual({})
  })

  it('when every BUS_* variable is set then each is read', () => {
    const config = loadConfig(
      {
        BUS: 'sqlite',
        BUS_POLL_INTERVAL_MS: '20',
        BUS_POLL_IDLE_MS: '400',
        BUS_MAX_MESSAGES_PER_POLL: '250',
        BUS_MESSAGE_TTL_MS: '30000',
        BUS_CLEANUP_INTERVAL_MS: '5000',
        BUS_WATERMARK_SAVE_MS: '2000',
        BUS_CURSOR_BATCH_MS: '150',
        BUS_LOCAL_BROADCAST: 'false',
        BUS_WAKEUP: 'no',
        BUS_PRESENCE_HEARTBEAT_MS: '1000',
        BUS_PRESENCE_EXPIRY_MS: '3000',
      },
      '/',
    )
    expect(config.busTuning).toEqual({
      pollIntervalMs: 20,
      pollIdleMs: 400,
      maxMessagesPerPoll: 250,
      messageTtlMs: 30_000,
      cleanupIntervalMs: 5_000,
      watermarkSaveMs: 2_000,
      cursorBatchMs: 150,
      localBroadcast: false,
      wakeUp: false,
      presenceHeartbeatMs: 1_000,
      presenceExpiryMs: 3_000,
    })
    expect(Object.isFrozen(config.busTuning)).toBe(true)
  })
})
