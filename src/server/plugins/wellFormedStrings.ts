import type { FastifyInstance } from 'fastify'
import { invalidInput } from '../../protocol/appError.js'

// With the `u` flag a surrogate pair is one code point: only a lone half matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * The path (`body.a.0.b`) of the first key or string value holding a lone surrogate, if any.
 * Iterative: bodies may nest 100 000 levels deep [I2].
 */
export function loneSurrogatePath(body: unknown): string | undefined {
  const stack: [unknown, string][] = [[body, 'body']]
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [value, path] = entry
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return path
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push([item, `${path}.${i}`]))
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return path
        stack.push([item, `${path}.${key}`])
      }
    }
  }
  return undefined
}

/**
 * Refuses invalid UTF-16 (a lone surrogate, written `\ud800` in JSON) in any string of any JSON
 * body, naming the field: stored, it would come back as U+FFFD, so what was acknowledged would
 * not be what is read back [I2].
 */
export function registerWellFormedStrings(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    if (typeof request.body !== 'object' || request.body === null) {
      done()
      return
    }
    const path = loneSurrogatePath(request.body)
    if (path === undefined) done()
    else done(invalidInput(path, `${path} is not valid Unicode text (it holds a lone surrogate)`))
  })
}
