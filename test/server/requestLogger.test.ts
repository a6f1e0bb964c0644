import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyChildLoggerFactory } from '../../src/server/requestLogger.js'

function capture(level: string) {
  const lines: Record<string, unknown>[] = []
  const logger = pino(
    { level },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  )
  let children = 0
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound below, to each caller
  const original = logger.child
  // Counts every child made, its own children included (they inherit this property).
  logger.child = function (this: typeof logger, ...args: Parameters<typeof original>) {
    children += 1
    return original.apply(this, args)
  } as typeof original
  return { logger, lines, children: () => children }
}

describe('the per-request logger', () => {
  it('when a request writes at an enabled level, then the line carries the request id', () => {
    const { logger, lines } = capture('warn')
    const log = lazyChildLoggerFactory(logger, { reqId: 'r-1' }, {})
    log.error({ code: 7 }, 'failed')
    log.warn('careful %s', 'now')
    expect(lines).toMatchObject([
      { level: 50, reqId: 'r-1', code: 7, msg: 'failed' },
      { level: 40, reqId: 'r-1', msg: 'careful now' },
    ])
  })

  it('when it writes only below the level, then no child logger is made and nothing is written', () => {
    const { logger, lines, children } = capture('warn')
    const log = lazyChildLoggerFactory(logger, { reqId: 'r-2' }, {})
    log.info('incoming request')
    log.debug('details')
    log.trace('more')
    expect(lines).toEqual([])
    expect(children()).toBe(0)
    expect(log.level).toBe('warn')
  })

  it('when asked for a child or a new level, then it becomes a real child with the request id', () => {
    const { logger, lines } = capture('info')
    const log = lazyChildLoggerFactory(logger, { reqId: 'r-3' }, {})
    log.child({ canvasId: 'c' }).info('nested')
    log.level = 'error'
    log.warn('dropped')
    log.error('kept')
    expect(lines).toMatchObject([
      { reqId: 'r-3', canvasId: 'c', msg: 'nested' },
      { reqId: 'r-3', msg: 'kept' },
    ])
    expect(lines).toHaveLength(2)
  })
})
