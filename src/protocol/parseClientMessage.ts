import { Compile } from 'typebox/compile'
import type { TLocalizedValidationError } from 'typebox/error'
import { CLIENT_MESSAGE_SCHEMAS, MESSAGE_LIMITS, type ClientMessageType } from './clientMessageSchemas.js'
import type { ClientMessage } from './messages.js'
import {
  COLOR_PATTERN,
  ID_PATTERN,
  IMMUTABLE_KEYS,
  NewObjectSchema,
  ObjectChangesSchema,
  SERVER_OWNED_KEYS,
} from './objectSchemas.js'
import { OBJECT_LIMITS } from './objects.js'

/**
 * The one entry point for client frames [PROTO1]: text in, a checked message or an
 * invalid_input description out. Never throws, whatever the string [PROTO2].
 */
export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: 'invalid_input'; message: string; field?: string; opId?: string }

type Failure = Extract<ParseResult, { ok: false }>

/** Reported paths and keys are cut to this length: an error frame never echoes a huge key. */
const MAX_PATH_LENGTH = 120
/** Keys that can reach an object's prototype when code later copies the value with [[Set]] [PROTO4]. */
const POISON_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])
const IMMUTABLE: ReadonlySet<string> = new Set(IMMUTABLE_KEYS)
const SERVER_OWNED: ReadonlySet<string> = new Set(SERVER_OWNED_KEYS)

// Compiled once at module load: checking a frame is a JIT-compiled function call.
const VALIDATORS = {
  auth: Compile(CLIENT_MESSAGE_SCHEMAS.auth),
  cursor: Compile(CLIENT_MESSAGE_SCHEMAS.cursor),
  selection: Compile(CLIENT_MESSAGE_SCHEMAS.selection),
  preview: Compile(CLIENT_MESSAGE_SCHEMAS.preview),
  viewport: Compile(CLIENT_MESSAGE_SCHEMAS.viewport),
  'object-create': Compile(CLIENT_MESSAGE_SCHEMAS['object-create']),
  'object-update': Compile(CLIENT_MESSAGE_SCHEMAS['object-update']),
  'object-delete': Compile(CLIENT_MESSAGE_SCHEMAS['object-delete']),
  ping: Compile(CLIENT_MESSAGE_SCHEMAS.ping),
} as const satisfies Record<ClientMessageType, unknown>

export function parseClientMessage(text: string): ParseResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Also covers a non-string argument from untyped callers and engine depth limits.
    return fail('invalid JSON')
  }
  if (!isPlainObject(value)) return fail('a message must be a JSON object')
  const opId = echoableOpId(value)
  const poisoned = findPoisonKey(value)
  if (poisoned !== undefined) return fail(`${poisoned} is not an allowed key`, poisoned, opId)

  const type = value.type
  if (typeof type !== 'string' || !Object.hasOwn(VALIDATORS, type)) {
    return fail(
      typeof type === 'string'
        ? `unknown message type ${JSON.stringify(type.slice(0, 40))}`
        : 'type is required',
      'type',
      opId,
    )
  }
  const messageType = type as ClientMessageType
  const pre = precheck(messageType, value)
  if (pre !== undefined) return { ...pre, ...(opId === undefined ? {} : { opId }) }

  const validator = VALIDATORS[messageType]
  if (!validator.Check(value)) {
    const { field, message } = describe(validator.Errors(value))
    return fail(message, field, opId)
  }
  return { ok: true, message: value as unknown as ClientMessage }
}

function fail(message: string, field?: string, opId?: string): Failure {
  return {
    ok: false,
    code: 'invalid_input',
    message,
    ...(field === undefined || field === '' ? {} : { field }),
    ...(opId === undefined ? {} : { opId }),
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The frame's opId when it is a string short enough to echo, so the client can match the error [PROTO3]. */
function echoableOpId(value: Record<string, unknown>): string | undefined {
  const opId = Object.hasOwn(value, 'opId') ? value.opId : undefined
  return typeof opId === 'string' && opId.length <= OBJECT_LIMITS.idLength ? opId : undefined
}

/**
 * The path of the first poison key at any depth, or undefined. Iterative with an explicit stack
 * and parent links, so 10,000-deep nesting costs memory, not call stack, and paths are built
 * only for the one key reported [PROTO4].
 */
function findPoisonKey(root: object): string | undefined {
  const values: object[] = [root]
  const parents: number[] = [-1]
  const keys: string[] = ['']
  const stack: number[] = [0]
  while (stack.length > 0) {
    const index = stack.pop() as number
    const node = values[index] as object
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i]
        if (typeof child === 'object' && child !== null) push(child, index, `[${i}]`)
      }
      continue
    }
    for (const key of Object.keys(node)) {
      if (POISON_KEYS.has(key)) return pathOf(index, `.${key}`)
      const child: unknown = (node as Record<string, unknown>)[key]
      if (typeof child === 'object' && child !== null) push(child, index, `.${key}`)
    }
  }
  return undefined

  // Segments are stored formatted (`.key`, `[3]`) so a path is their concatenation.
  function push(child: object, parent: number, segment: string) {
    stack.push(values.length)
    values.push(child)
    parents.push(parent)
    keys.push(segment)
  }
  function pathOf(index: number, last: string): string {
    const segments = [last]
    for (let i = index; i > 0; i = parents[i] as number) segments.push(keys[i] as string)
    const path = segments.reverse().join('').replace(/^\./, '')
    // 10,000 levels make a 20,000-character path: name the start and the key.
    return path.length <= MAX_PATH_LENGTH ? path : `${path.slice(0, MAX_PATH_LENGTH)}…${last}`
  }
}

/** Known property names per message type and for the object / changes records [PROTO6]. */
const keysOf = (schema: { properties: object }): ReadonlySet<string> =>
  new Set(Object.keys(schema.properties))
const KNOWN_KEYS: Record<ClientMessageType, ReadonlySet<string>> = {
  auth: keysOf(CLIENT_MESSAGE_SCHEMAS.auth),
  cursor: keysOf(CLIENT_MESSAGE_SCHEMAS.cursor),
  selection: keysOf(CLIENT_MESSAGE_SCHEMAS.selection),
  preview: keysOf(CLIENT_MESSAGE_SCHEMAS.preview),
  viewport: keysOf(CLIENT_MESSAGE_SCHEMAS.viewport),
  'object-create': keysOf(CLIENT_MESSAGE_SCHEMAS['object-create']),
  'object-update': keysOf(CLIENT_MESSAGE_SCHEMAS['object-update']),
  'object-delete': keysOf(CLIENT_MESSAGE_SCHEMAS['object-delete']),
  ping: keysOf(CLIENT_MESSAGE_SCHEMAS.ping),
}
const OBJECT_KEYS = keysOf(NewObjectSchema)
const CHANGES_KEYS = keysOf(ObjectChangesSchema)

/**
 * Checks made before the schema: they give clearer answers (mass assignment, empty changes) and
 * bound the work on hostile frames, so the schema's error list stays short (one unknown key of
 * thousands, one bad number of 20,000 points) [PROTO6, PROTO15, PROTO16].
 */
function precheck(type: ClientMessageType, value: Record<string, unknown>): Failure | undefined {
  const unknown = firstUnknownKey(value, KNOWN_KEYS[type])
  if (unknown !== undefined) return fail(`${unknown} is not a known property`, unknown)
  if (type === 'object-update' && isPlainObject(value.changes)) {
    const keys = Object.keys(value.changes)
    const immutable = keys.find((k) => IMMUTABLE.has(k))
    if (immutable !== undefined) return fail(`${immutable} cannot be changed`, `changes.${immutable}`)
    if (keys.length === 0) return fail('changes must name at least one property', 'changes')
    return checkRecord('changes', value.changes, CHANGES_KEYS)
  }
  if (type === 'object-create' && isPlainObject(value.object)) {
    const owned = Object.keys(value.object).find((k) => SERVER_OWNED.has(k))
    if (owned !== undefined) return fail(`${owned} is set by the server`, `object.${owned}`)
    return checkRecord('object', value.object, OBJECT_KEYS)
  }
  // Bounds the schema's error list on a frame of thousands of ids [PROTO17].
  if (type === 'selection' && Array.isArray(value.ids) && value.ids.length > MESSAGE_LIMITS.selectionIds)
    return fail(`ids must have at most ${MESSAGE_LIMITS.selectionIds} items`, 'ids')
  // Same for a preview of thousands of objects [PROTO18].
  if (
    type === 'preview' &&
    Array.isArray(value.objects) &&
    value.objects.length > MESSAGE_LIMITS.previewObjects
  )
    return fail(`objects must have at most ${MESSAGE_LIMITS.previewObjects} items`, 'objects')
  return undefined
}

function firstUnknownKey(record: Record<string, unknown>, known: ReadonlySet<string>): string | undefined {
  const key = Object.keys(record).find((k) => !known.has(k))
  return key === undefined || key.length <= MAX_PATH_LENGTH ? key : `${key.slice(0, MAX_PATH_LENGTH)}…`
}

function checkRecord(name: string, record: Record<string, unknown>, known: ReadonlySet<string>) {
  const unknown = firstUnknownKey(record, known)
  if (unknown !== undefined) return fail(`${name}.${unknown} is not a known property`, `${name}.${unknown}`)
  // A hostile dash of thousands of numbers is refused before the schema lists each one [ED-C1].
  if (Array.isArray(record.dash) && record.dash.length > OBJECT_LIMITS.dash)
    return fail(`${name}.dash must have at most ${OBJECT_LIMITS.dash} items`, `${name}.dash`)
  const points = record.points
  if (!Array.isArray(points)) return undefined // absent, or the schema names the wrong type
  const field = `${name}.points`
  if (points.length > OBJECT_LIMITS.points)
    return fail(`${field} must have at most ${OBJECT_LIMITS.points} items`, field)
  // What JSON Schema cannot say: points come in x, y pairs [PROTO15].
  if (points.length % 2 !== 0) return fail(`${field} must hold x, y pairs (an even count)`, field)
  const bad = points.findIndex(
    (p) => typeof p !== 'number' || !Number.isFinite(p) || Math.abs(p) > OBJECT_LIMITS.coordinate,
  )
  if (bad !== -1) {
    return fail(
      `${field}[${bad}] must be a finite number within ±${OBJECT_LIMITS.coordinate}`,
      `${field}[${bad}]`,
    )
  }
  return undefined
}

/** Turns the first useful schema error into a field path (`object.points[3]`) and a message. */
function describe(errors: readonly TLocalizedValidationError[]): { field: string; message: string } {
  const error = errors.find((e) => e.keyword !== 'anyOf') ?? errors[0]
  if (error === undefined) return { field: '', message: 'invalid message' }
  const at = fieldOf(error.instancePath)
  const within = (name: string) => (at === '' ? name : `${at}.${name}`)
  const says = (text: string) => ({ field: at, message: `${at === '' ? 'message' : at} ${text}` })
  switch (error.keyword) {
    case 'required': {
      const missing = within(error.params.requiredProperties[0] ?? '')
      return { field: missing, message: `${missing} is required` }
    }
    case 'additionalProperties': {
      const extra = within(error.params.additionalProperties[0] ?? '')
      return { field: extra, message: `${extra} is not a known property` }
    }
    case 'boolean':
      // `additionalProperties: false` reports the extra key itself as a false schema.
      return { field: at, message: `${at} is not a known property` }
    case 'type': {
      const type = String(error.params.type)
      return says(
        type === 'number' || type === 'integer' ? `must be a finite ${type}` : `must be ${article(type)}`,
      )
    }
    case 'pattern':
      if (error.params.pattern === ID_PATTERN) {
        return says(`must be 1-${OBJECT_LIMITS.idLength} characters of A-Z a-z 0-9 _ -`)
      }
      if (error.params.pattern === COLOR_PATTERN)
        return says('must be a CSS color (#rgb, #rrggbb, rgb(), hsl(), a name)')
      return says('has an invalid format')
    case 'const':
      return says(`must be ${JSON.stringify(error.params.allowedValue)}`)
    case 'enum':
      return says(`must be one of ${error.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`)
    case 'minimum':
    case 'exclusiveMinimum':
      return says(`must be >= ${String(error.params.limit)}`)
    case 'maximum':
    case 'exclusiveMaximum':
      return says(`must be <= ${String(error.params.limit)}`)
    case 'maxLength':
      return says(`must be at most ${error.params.limit} characters`)
    case 'maxItems':
      return says(`must have at most ${error.params.limit} items`)
    case 'minLength':
    case 'minItems':
    case 'minProperties':
    case 'maxProperties':
    case 'multipleOf':
    case 'anyOf':
    case 'oneOf':
    case 'not':
    case 'if':
    case 'contains':
    case 'dependencies':
    case 'dependentRequired':
    case 'format':
    case 'propertyNames':
    case 'unevaluatedItems':
    case 'unevaluatedProperties':
    case 'uniqueItems':
    case '~refine':
      // Keywords these schemas do not use (anyOf only wraps a clearer error, found first).
      return says('is invalid')
    default:
      // A keyword a future TypeBox adds: still an answer, never a throw [PROTO2].
      error satisfies never
      return says('is invalid')
  }
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`)

/** JSON pointer `/object/points/3` → `object.points[3]`. */
function fieldOf(pointer: string): string {
  if (pointer === '') return ''
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`), '')
}
