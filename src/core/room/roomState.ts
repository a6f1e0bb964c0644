import type { CanvasObject } from '../../protocol/objects.js'
import type { LogEntry } from './logEntry.js'

/**
 * One canvas's state as a projection of its log (docs/spec/room.md).
 *
 * Invariant: the room host owns its RoomState exclusively. applyEntry and rememberOps update
 * the Maps in place and return the same state, so an op costs O(1) whatever the canvas size;
 * no one else may hold on to a RoomState across an apply [ROOM2]. The CanvasObject values are
 * never mutated: a change replaces the object, so objects may be shared with events, snapshots
 * and auth-success frames [ROOM3].
 */
export interface RoomState {
  /** Every log entry with seq <= this has been applied (or was in the snapshot). */
  seq: number
  objects: Map<string, CanvasObject>
  /** `${userId}\u0000${opId}` → seq of the entry, insertion-ordered, at most RECENT_OPS_LIMIT [ROOM20]. */
  recentOps: Map<string, number>
  /** Encoded size of each object (its JSON length, kept up to date approximately) [ROOM26]. */
  sizes: Map<string, number>
  /** The sum of `sizes`: what the canvas weighs against its byte budget. */
  bytes: number
}

/** How many recent opIds each room remembers to answer resends with the first seq [ROOM20]. */
export const RECENT_OPS_LIMIT = 10_000

export const emptyRoom = (): RoomState => ({
  seq: 0,
  objects: new Map(),
  recentOps: new Map(),
  sizes: new Map(),
  bytes: 0,
})

/** A room at `seq` holding `objects`; the dedup window starts empty (see rememberOps) [ROOM21]. */
export function roomFromSnapshot(seq: number, objects: readonly CanvasObject[]): RoomState {
  const state: RoomState = { ...emptyRoom(), seq, objects: new Map(objects.map((o) => [o.id, o])) }
  for (const object of objects) setSize(state, object.id, encodedSize(object))
  return state
}

/** The JSON length of a value: what it adds to the canvas's state [ROOM26]. */
export function encodedSize(value: unknown): number {
  return JSON.stringify(value)?.length ?? 0
}

/**
 * What an update adds to an object's size: its changes' encoded length less that of the values
 * they replace. Approximate (keys and commas are not counted twice) but cheap for a large object
 * moved at 60 updates a second, and the same on every replica [ROOM26].
 */
export function updateSizeDelta(current: object, changes: object): number {
  const before = current as Record<string, unknown>
  let delta = 0
  for (const [key, value] of Object.entries(changes)) delta += valueSize(value) - valueSize(before[key])
  return delta
}

const NUMBER_SIZE = 12

/** A value's JSON length, without building the JSON for the common cases (a number, a short string). */
function valueSize(value: unknown): number {
  switch (typeof value) {
    case 'undefined':
      return 0
    case 'number':
      // Coordinates are bounded (OBJECT_LIMITS.coordinate): a fixed width is close enough and
      // spares a number-to-string conversion on every update (measured at ~2 % of bench:ws (b)).
      return NUMBER_SIZE
    case 'boolean':
      return value ? 4 : 5
    case 'string':
      // Quotes, plus the characters; escapes make it a little longer, which the budget tolerates.
      return value.length + 2
    case 'object':
    case 'bigint':
    case 'function':
    case 'symbol':
      return encodedSize(value)
  }
}

/** Records an object's size (0 removes it) and keeps the total. */
export function setSize(state: RoomState, id: string, size: number): void {
  state.bytes += size - (state.sizes.get(id) ?? 0)
  if (size > 0) state.sizes.set(id, size)
  else state.sizes.delete(id)
}

export const recentOpKey = (userId: string, opId: string): string => `${userId}\u0000${opId}`

/**
 * Records one opId. The first seq wins (a resend that slipped into the log twice is still acked
 * with the first); past the limit the oldest is forgotten [ROOM20].
 */
export function rememberOp(state: RoomState, userId: string, opId: string, seq: number): void {
  const key = recentOpKey(userId, opId)
  if (state.recentOps.has(key)) return
  state.recentOps.set(key, seq)
  if (state.recentOps.size > RECENT_OPS_LIMIT) {
    const oldest = state.recentOps.keys().next()
    if (oldest.done !== true) state.recentOps.delete(oldest.value)
  }
}

/**
 * Refills the dedup window from log entries the state already reflects (seq <= state.seq),
 * without applying them: at load, the log tail before the snapshot. Later entries are left for
 * applyEntry [ROOM21].
 */
export function rememberOps(state: RoomState, entries: readonly LogEntry[]): RoomState {
  for (const entry of entries) {
    if (entry.seq <= state.seq) rememberOp(state, entry.userId, entry.opId, entry.seq)
  }
  return state
}

/** The objects bottom to top: by zIndex (absent = 0), then id, so every replica lists them alike [ROOM22]. */
export function objectsOf(state: RoomState): CanvasObject[] {
  return [...state.objects.values()].sort(compareObjects)
}

function compareObjects(a: CanvasObject, b: CanvasObject): number {
  const za = a.zIndex ?? 0
  const zb = b.zIndex ?? 0
  if (za !== zb) return za - zb
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * A deterministic fingerprint of seq + objects for convergence checks [ROOM23]: objects by id,
 * keys sorted, hashed with two 32-bit FNV-1a variants. The dedup window is not part of it.
 */
export function stateHash(state: RoomState): string {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ 0x5bd1e995
  const feed = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      h1 = Math.imul(h1 ^ c, 0x01000193)
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15)
    }
  }
  feed(`seq:${state.seq};`)
  const ids = [...state.objects.keys()].sort()
  for (const id of ids) {
    const object = state.objects.get(id) as CanvasObject
    feed(canonical(object))
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0')
  return `${hex(h1)}${hex(h2)}:${ids.length}`
}

function canonical(object: CanvasObject): string {
  const record = object as unknown as Record<string, unknown>
  const keys = Object.keys(record).sort()
  let out = '{'
  for (const key of keys) {
    if (record[key] !== undefined) out += `${JSON.stringify(key)}:${JSON.stringify(record[key])},`
  }
  return `${out}}`
}
