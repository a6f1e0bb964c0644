import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { NewEvent, TriggerStore } from '../../src/triggers/triggerStore.js'

export interface TriggerStoreHarness {
  readonly store: TriggerStore
  /** A user the store may own keys, events and endpoints for (a real users row where it references one). */
  newUser(): Promise<string>
  cleanup(): Promise<void>
}

export interface TriggerStoreImplementation {
  name: string
  create(): Promise<TriggerStoreHarness>
}

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0)

let n = 0
function event(ownerId: string, fields: Partial<NewEvent> = {}): NewEvent {
  n += 1
  return {
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    ownerId,
    type: 'form.answered',
    payloadJson: JSON.stringify({ n }),
    createdAt: T0 + n,
    ...fields,
  }
}

async function endpoint(store: TriggerStore, ownerId: string, eventTypes: string[] = []): Promise<string> {
  const id = randomUUID()
  await store.createEndpoint({
    id,
    ownerId,
    url: 'https://hooks.example.test/x',
    eventTypes,
    secret: 'whsec_AAAA',
    createdAt: T0,
  })
  return id
}

/** Every TriggerStore implementation runs this suite against the real database (style §4). */
export function registerTriggerStoreContractTests(impl: TriggerStoreImplementation): void {
  describe(`TriggerStore contract: ${impl.name}`, () => {
    async function start(): Promise<TriggerStoreHarness> {
      const h = await impl.create()
      onTestFinished(() => h.cleanup())
      return h
    }

    it('[TRG6] when a key is revoked, then its hash finds nothing; a tier is set by key id or prefix', async () => {
      const h = await start()
      const userId = await h.newUser()
      await h.store.createKey({
        keyId: 'k1',
        userId,
        name: 'n',
        prefix: 'cck_aaaa1111',
        hash: 'h1',
        tier: 'free',
        createdAt: T0,
      })
      expect(await h.store.findKeyByHash('h1')).toMatchObject({
        keyId: 'k1',
        userId,
        tier: 'free',
        lastUsedAt: null,
      })
      expect((await h.store.setKeyTier('cck_aaaa1111', 'starter'))?.tier).toBe('starter')
      expect((await h.store.setKeyTier('k1', 'enterprise'))?.tier).toBe('enterprise')
      expect(await h.store.setKeyTier('nope', 'free')).toBeUndefined()
      await h.store.touchKey('k1', T0 + 5)
      expect((await h.store.listKeys(userId))[0]?.lastUsedAt).toBe(T0 + 5)
      expect(await h.store.revokeKey('someone-else', 'k1', T0)).toBe(false)
      expect(await h.store.revokeKey(userId, 'k1', T0)).toBe(true)
      expect(await h.store.findKeyByHash('h1')).toBeUndefined()
      expect(await h.store.listKeys(userId)).toEqual([])
    })

    it('[TRG1] when events with one dedupId arrive in one batch and later, then one is stored and all get its id', async () => {
      const h = await start()
      const owner = await h.newUser()
      const first = event(owner, { dedupId: 'd-1' })
      const results = await h.store.insertEvents([first, event(owner, { dedupId: 'd-1' }), event(owner)])
      expect(results.map((r) => r.duplicate)).toEqual([false, true, false])
      expect(results[1]?.id).toBe(first.id)
      const later = await h.store.insertEvents([event(owner, { dedupId: 'd-1' })])
      expect(later).toEqual([{ id: first.id, duplicate: true }])
      // Another owner's identical dedupId is a different event.
      const other = await h.newUser()
      expect((await h.store.insertEvents([event(other, { dedupId: 'd-1' })]))[0]?.duplicate).toBe(false)
      const page = await h.store.listEvents(owner, { limit: 10, order: 'asc' })
      expect(page.events).toHaveLength(2)
      expect(page.events[0]).toMatchObject({
        id: first.id,
        type: 'form.answered',
        status: 'pending',
        createdAt: first.createdAt,
      })
    })

    it('[TRG3] when another owner lists or acks, then they see nothing of the first owner’s events', async () => {
      const h = await start()
      const owner = await h.newUser()
      const stranger = await h.newUser()
      const e = event(owner)
      await h.store.insertEvents([e])
      expect((await h.store.listEvents(stranger, { limit: 10, order: 'asc' })).events).toEqual([])
      expect(await h.store.ackEvent(stranger, e.id, T0)).toBe(false)
      expect(await h.store.listDeliveries(stranger, e.id)).toBeUndefined()
      expect(await h.store.ackEvent(owner, e.id, T0)).toBe(true)
      expect(await h.store.ackEvent(owner, e.id, T0 + 1)).toBe(true)
      const acked = await h.store.listEvents(owner, { limit: 10, order: 'asc', status: 'acked' })
      expect(acked.events.map((x) => x.id)).toEqual([e.id])
      expect(
        (await h.store.listEvents(owner, { limit: 10, order: 'asc', status: 'pending' })).events,
      ).toEqual([])
    })

    it('[TRG2] when filtered by type and time and paged both ways, then pages join up without repeats', async () => {
      const h = await start()
      const owner = await h.newUser()
      const events = Array.from({ length: 25 }, (_, i) =>
        event(owner, { type: i % 2 ? 'b' : 'a', createdAt: T0 + i * 1000 }),
      )
      await h.store.insertEvents(events)
      async function all(
        order: 'asc' | 'desc',
        extra: { type?: string; since?: number } = {},
      ): Promise<string[]> {
        const ids: string[] = []
        let after: number | undefined
        for (;;) {
          const page = await h.store.listEvents(owner, {
            limit: 4,
            order,
            ...extra,
            ...(after === undefined ? {} : { after }),
          })
          ids.push(...page.events.map((e) => e.id))
          if (!page.hasMore) return ids
          after = page.last
        }
      }
      expect(await all('asc')).toEqual(events.map((e) => e.id))
      expect(await all('desc')).toEqual(events.map((e) => e.id).reverse())
      expect(await all('asc', { type: 'b' })).toEqual(events.filter((e) => e.type === 'b').map((e) => e.id))
      expect(await all('asc', { since: T0 + 20_000 })).toEqual(events.slice(20).map((e) => e.id))
    })

    it('[TRG2] when events are inserted while a reader pages oldest first, then it reads each exactly once, in order', async () => {
      const h = await start()
      const owner = await h.newUser()
      const written: string[] = []
      let writing = true
      const writers = Array.from({ length: 4 }, async () => {
        for (let round = 0; round < 30; round++) {
          const batch = Array.from({ length: 1 + (round % 5) }, () => event(owner))
          await h.store.insertEvents(batch)
          written.push(...batch.map((e) => e.id))
        }
      })
      const allWritten = Promise.all(writers).then(() => {
        writing = false
      })
      const read: string[] = []
      let after: number | undefined
      // Reads until the writers are done and a page comes back empty.
      for (;;) {
        const page = await h.store.listEvents(owner, {
          limit: 7,
          order: 'asc',
          ...(after === undefined ? {} : { after }),
        })
        read.push(...page.events.map((e) => e.id))
        after = page.last ?? after
        if (!writing && page.events.length === 0) break
        await new Promise((resolve) => setImmediate(resolve))
      }
      await allWritten
      expect(read.length).toBe(written.length)
      expect(new Set(read).size).toBe(read.length)
      expect(read.sort()).toEqual([...written].sort())
    })

    it('[TRG4] when an event is stored, then each enabled endpoint whose filter matches gets one pending delivery', async () => {
      const h = await start()
      const owner = await h.newUser()
      const all = await endpoint(h.store, owner)
      const forms = await endpoint(h.store, owner, ['form.*'])
      await endpoint(h.store, owner, ['canvas.object.created'])
      const off = await endpoint(h.store, owner)
      await h.store.rotateSecret(owner, off, 'whsec_BBBB', T0 + 1000)
      const e = event(owner)
      await h.store.insertEvents([e])
      const deliveries = await h.store.listDeliveries(owner, e.id)
      expect(deliveries?.map((d) => d.endpointId).sort()).toEqual([all, forms, off].sort())
      expect(deliveries?.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true)
      const listed = await h.store.listEndpoints(owner)
      expect(listed.find((x) => x.id === off)).toMatchObject({
        secret: 'whsec_BBBB',
        previousSecret: 'whsec_AAAA',
        previousSecretUntil: T0 + 1000,
      })
    })

    it('[TRG5] when deliveries are claimed, then leased ones, disabled endpoints and ones behind their order key wait', async () => {
      const h = await start()
      const owner = await h.newUser()
      const ep = await endpoint(h.store, owner)
      const a1 = event(owner, { orderKey: 'canvas-a', createdAt: T0 })
      const a2 = event(owner, { orderKey: 'canvas-a', createdAt: T0 })
      const free = event(owner, { createdAt: T0 })
      await h.store.insertEvents([a1, a2, free])
      const first = await h.store.claimDeliveries(T0 + 10, 10, T0 + 1000)
      expect(first.map((c) => c.event.id).sort()).toEqual([a1.id, free.id].sort())
      expect(first[0]?.endpoint.id).toBe(ep)
      // Leased: nobody else gets them, and a2 still waits behind a1.
      expect(await h.store.claimDeliveries(T0 + 20, 10, T0 + 1000)).toEqual([])
      const a1Claim = first.find((c) => c.event.id === a1.id)
      if (a1Claim === undefined) throw new Error('a1 not claimed')
      await h.store.recordAttempts([
        {
          deliveryId: a1Claim.id,
          at: T0 + 30,
          statusCode: 500,
          error: 'HTTP 500',
          durationMs: 3,
          outcome: { kind: 'retry', nextAttemptAt: T0 + 5000 },
        },
      ])
      // a1 is waiting for its retry: a2 still may not pass it.
      expect(await h.store.claimDeliveries(T0 + 40, 10, T0 + 1000)).toEqual([])
      // a1 waits for its retry, a2 behind it, `free` for its lease.
      expect(await h.store.nextDueAt()).toBe(T0 + 1000)
      // a1 is due again; `free`'s lease ran out (its worker died): it is claimed again too.
      const retried = await h.store.claimDeliveries(T0 + 5000, 10, T0 + 9000)
      expect(retried.map((c) => [c.event.id, c.attempts]).sort()).toEqual(
        [
          [a1.id, 1],
          [free.id, 0],
        ].sort(),
      )
      await h.store.recordAttempts([
        {
          deliveryId: a1Claim.id,
          at: T0 + 5001,
          statusCode: 200,
          error: null,
          durationMs: 3,
          outcome: { kind: 'delivered' },
        },
      ])
      expect((await h.store.claimDeliveries(T0 + 5002, 10, T0 + 9000)).map((c) => c.event.id)).toEqual([
        a2.id,
      ])
      expect(
        (await h.store.claimDeliveries(T0 + 9001, 10, T0 + 20_000)).map((c) => c.event.id).sort(),
      ).toEqual([a2.id, free.id].sort())
      const log = await h.store.listDeliveries(owner, a1.id)
      expect(log?.[0]).toMatchObject({ status: 'delivered', attempts: 2 })
      expect(log?.[0]?.attemptLog.map((a) => a.statusCode)).toEqual([500, 200])
    })

    it('[TRG5] when a delivery dies, then its endpoint is disabled with the reason; replay sends it again and enables it', async () => {
      const h = await start()
      const owner = await h.newUser()
      const ep = await endpoint(h.store, owner)
      const e = event(owner, { createdAt: T0 })
      await h.store.insertEvents([e])
      const [claim] = await h.store.claimDeliveries(T0 + 10, 10, T0 + 1000)
      if (claim === undefined) throw new Error('nothing claimed')
      await h.store.recordAttempts([
        {
          deliveryId: claim.id,
          at: T0 + 11,
          statusCode: null,
          error: 'timeout',
          durationMs: 15_000,
          outcome: { kind: 'dead', disableReason: 'the last of 1 attempts failed (timeout)' },
        },
      ])
      expect((await h.store.listEndpoints(owner))[0]).toMatchObject({
        id: ep,
        disabledReason: 'the last of 1 attempts failed (timeout)',
      })
      await h.store.insertEvents([event(owner, { createdAt: T0 })])
      expect(await h.store.claimDeliveries(T0 + 20, 10, T0 + 1000)).toEqual([])
      expect(await h.store.stats(owner, T0 + 30)).toMatchObject({
        pending: 2,
        deliveries: { dead: 1, pending: 0 },
      })
      expect(await h.store.replayDelivery(await h.newUser(), claim.id, T0 + 40)).toBe(false)
      expect(await h.store.replayDelivery(owner, claim.id, T0 + 40)).toBe(true)
      expect((await h.store.listEndpoints(owner))[0]?.disabledAt).toBeNull()
      const again = await h.store.claimDeliveries(T0 + 50, 10, T0 + 1000)
      expect(again.map((c) => [c.id, c.attempts])).toContainEqual([claim.id, 0])
    })

    it('when an endpoint is deleted or re-filtered, then only its owner can, and its deliveries go with it', async () => {
      const h = await start()
      const owner = await h.newUser()
      const ep = await endpoint(h.store, owner)
      expect(await h.store.setEndpointTypes(owner, ep, ['x.*'])).toBe(true)
      expect((await h.store.listEndpoints(owner))[0]?.eventTypes).toEqual(['x.*'])
      const stranger = await h.newUser()
      expect(await h.store.deleteEndpoint(stranger, ep)).toBe(false)
      expect(await h.store.rotateSecret(stranger, ep, 's', T0)).toBe(false)
      expect(await h.store.enableEndpoint(stranger, ep)).toBe(false)
      expect(await h.store.deleteEndpoint(owner, ep)).toBe(true)
      expect(await h.store.listEndpoints(owner)).toEqual([])
    })
  })
}
