import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Op } from '../../src/core/room/logEntry.js'
import { MemoryOpLog } from '../../src/log/memory/memoryOpLog.js'
import { registerOpLogContractTests } from '../contract/opLog.contract.js'

registerOpLogContractTests({
  name: 'memory',
  durable: false,
  create: ({ now }) => {
    const log = new MemoryOpLog(now)
    return Promise.resolve({
      log,
      newCanvas: () => Promise.resolve(randomUUID()),
      cleanup: () => log.close(),
    })
  },
})

const op = (id: string): Op => ({ kind: 'create', object: { id, type: 'rect', x: 1 } })

describe('MemoryOpLog', () => {
  it('[LOG5] when appends arrive in one turn, then they share one commit; awaited ones get one each', async () => {
    const log = new MemoryOpLog()
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        log.append(`c${i % 3}`, [{ opId: `o${i}`, userId: 'u', op: op(`o${i}`) }]),
      ),
    )
    expect(log.stats).toEqual({ entries: 300, transactions: 1 })
    for (let i = 0; i < 3; i++) await log.append('c0', [{ opId: `p${i}`, userId: 'u', op: op(`p${i}`) }])
    expect(log.stats).toEqual({ entries: 303, transactions: 4 })
    await log.close()
  })

  it('[LOG2] when a caller changes an op after appending or reading it, then the log keeps what was committed', async () => {
    const log = new MemoryOpLog()
    const given = op('a')
    const pending = log.append('c', [{ opId: 'a', userId: 'u', op: given }])
    if (given.kind === 'create') given.object.x = 99
    const [entry] = await pending
    if (entry?.op.kind === 'create') entry.op.object.x = 98
    const [read] = await log.readAfter('c', 0)
    expect(read?.op).toEqual(op('a'))
    await log.close()
  })
})
