import { randomUUID } from 'node:crypto'
import { expect, it, onTestFinished } from 'vitest'
import type { CanvasObject } from '../../src/protocol/objects.js'
import { fetchClient } from '../support/apiClient.js'
import { startCluster } from '../support/cluster.js'
import { canvasState, sharedCanvas } from '../support/sharedCanvas.js'
import { WsTestClient, type Received } from '../support/wsTestClient.js'

// [ROOM28] An op naming an object another instance created moments ago is not refused because
// this instance's doorbell has not rung yet: the room reads the log to its end before deciding
// not_found. Instance B hears of A's commits only by polling every 60 s (no same-host wake-up),
// so without the read its room does not know the object when the update comes.

const LAGGING = { BUS_WAKEUP: 'false', BUS_POLL_INTERVAL_MS: '60000', BUS_POLL_IDLE_MS: '60000' }

it('[ROOM28] when a client on B updates an object created through A that B has not applied yet, then the update is accepted, and both instances hold it', async () => {
  const cluster = await startCluster({
    bus: 'sqlite',
    instances: 2,
    nginx: false,
    instanceEnv: (index) => (index === 1 ? LAGGING : {}),
  })
  onTestFinished(() => cluster.stop())
  const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]]
  const { owner, members, canvas } = await sharedCanvas(fetchClient(a.baseUrl), ['editor'])
  const editor = members[0] as (typeof members)[0]
  const onA = await WsTestClient.connect(a.baseUrl, canvas.id, { token: owner.token })
  const onB = await WsTestClient.connect(b.baseUrl, canvas.id, { token: editor.token })
  onTestFinished(() => {
    onA.close()
    onB.close()
  })

  const id = randomUUID()
  const createId = randomUUID()
  onA.send({
    type: 'object-create',
    opId: createId,
    object: { id, type: 'rect', x: 10, y: 20, width: 30, height: 40, fill: '#00ff00' },
  })
  const created = await onA.waitForAck(createId)
  // B's room lags: its state does not have the object yet.
  const before = await canvasState(fetchClient(b.baseUrl), canvas.id, editor)
  expect(before.seq).toBeLessThan(created.seq)
  expect(before.objects.map((o) => o.id)).not.toContain(id)

  const updateId = randomUUID()
  onB.send({ type: 'object-update', opId: updateId, id, changes: { fill: '#ff0000' } })
  const answer = await onB.waitFor<Received>(
    (m) => (m.type === 'ack' || m.type === 'error') && 'opId' in m && m.opId === updateId,
  )
  expect(answer).toMatchObject({ type: 'ack', opId: updateId, seq: created.seq + 1 })
  // B's client was sent the create before its ack: it knows what it updated.
  expect(onB.all('object-created').map((m) => m.object.id)).toEqual([id])
  await onA.waitFor((m) => m.type === 'object-updated' && m.id === id)

  for (const instance of [a, b]) {
    const state = await canvasState(fetchClient(instance.baseUrl), canvas.id, owner)
    expect(state.seq).toBe(created.seq + 1)
    expect(state.objects.find((o: CanvasObject) => o.id === id)).toMatchObject({ fill: '#ff0000', x: 10 })
  }
})
