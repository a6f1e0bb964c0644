import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>

const LEVEL_VALUES: Readonly<Record<string, number>> = pino.levels.values

/**
 * A request's logger that becomes a pino child (with the request id) only when a line is written
 * at an enabled level. At the default level most requests write nothing, and building a child
 * for each of them was a measurable share of the cost of a small request such as GET /health.
 */
class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.child$().level = level
  }

  // Methods on the prototype, not arrow fields: no closures per request.
  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }
  error(...args: unknown[]): void {
    this.write('error', args)
  }
  warn(...args: unknown[]): void {
    this.write('warn', args)
  }
  info(...args: unknown[]): void {
    this.write('info', args)
  }
  debug(...args: unknown[]): void {
    this.write('debug', args)
  }
  trace(...args: unknown[]): void {
    this.write('trace', args)
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.child$().child(bindings, options)
  }

  private write(level: Level, args: unknown[]): void {
    if ((LEVEL_VALUES[level] ?? 0) < (LEVEL_VALUES[this.level] ?? Infinity)) return
    const logger = this.child$()
    Reflect.apply(logger[level], logger, args)
  }

  private child$(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options))
  }
}

/** Fastify's `childLoggerFactory`: one lazy child per request. */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options)
}
