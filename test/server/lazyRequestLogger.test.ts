import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { lazyChildLoggerFactory } from '../../src/server/lazyRequestLogger.js'

function capture(level: string) {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  return { lines, parent: pino({ level }, stream) }
}

/** What Fastify does for each request: the factory called with the request id's binding. */
const requestLogger = (parent: pino.Logger, reqId: string, options: { level?: string } = {}) =>
  lazyChildLoggerFactory.call(undefined as never, parent, { reqId }, options, undefined as never)

// pino writes synchronously to a plain Writable; a turn lets its callbacks run.
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('lazyChildLoggerFactory', () => {
  it('when a request logs only below the level then no pino child is made and nothing is written', async () => {
    const { lines, parent } = capture('warn')
    const child = vi.spyOn(parent, 'child')
    const log = requestLogger(parent, 'r1')
    log.info({ req: 'x' }, 'incoming request')
    log.debug('detail')
    log.trace('more detail')
    await settle()
    expect(child).not.toHaveBeenCalled()
    expect(lines).toEqual([])
    expect(log.level).toBe('warn')
  })

  it('when a request logs at an enabled level then the line carries the request id, once per child', async () => {
    const { lines, parent } = capture('info')
    const child = vi.spyOn(parent, 'child')
    const log = requestLogger(parent, 'r2')
    log.info('first')
    log.error({ err: new Error('boom') }, 'second')
    log.debug('below the level')
    await settle()
    expect(child).toHaveBeenCalledTimes(1)
    expect(lines.map((l) => [l.reqId, l.msg, l.level])).toEqual([
      ['r2', 'first', 30],
      ['r2', 'second', 50],
    ])
    expect((lines[1]?.err as { message?: string }).message).toBe('boom')
  })

  it('when a child of the request logger logs then it carries both bindings', async () => {
    const { lines, parent } = capture('info')
    const log = requestLogger(parent, 'r3')
    log.child({ canvasId: 'c1' }).warn('nested')
    await settle()
    expect(lines).toMatchObject([{ reqId: 'r3', canvasId: 'c1', msg: 'nested' }])
  })

  it('when the request logger’s level is changed then only it logs at the new level', async () => {
    const { lines, parent } = capture('warn')
    const log = requestLogger(parent, 'r4')
    log.level = 'debug'
    log.debug('now visible')
    parent.debug('parent still at warn')
    await settle()
    expect(lines).toMatchObject([{ reqId: 'r4', msg: 'now visible' }])
    expect(parent.level).toBe('warn')
  })

  it('when a route sets its own level then the child is pino’s own, made at once with that level', async () => {
    const { lines, parent } = capture('warn')
    const child = vi.spyOn(parent, 'child')
    const log = requestLogger(parent, 'r5', { level: 'debug' })
    expect(child).toHaveBeenCalledTimes(1)
    log.debug('route-level debug')
    await settle()
    expect(lines).toMatchObject([{ reqId: 'r5', msg: 'route-level debug' }])
  })
})
