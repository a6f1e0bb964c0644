import type { CanvasObject } from '../../src/protocol/objects.js'
import type { Received } from './wsTestClient.js'

export type ComparableObject = Omit<CanvasObject, 'updatedAt'>

/**
 * What a client holds of a canvas, built only from the messages it received, by the rules of
 * docs/spec/protocol.md "Resume" and room.md ROOM10/ROOM14: a full auth-success replaces the
 * state, a resumed one keeps it; a create of a known id, and an update or delete of an unknown
 * one, change nothing. The `updatedAt` of an update is not on the wire, so it is not kept.
 */
export class EventReplica {
  readonly objects = new Map<string, ComparableObject>()
  seq = 0
  /** Every seq of an object-* message applied, in order: tests check for gaps and repeats. */
  readonly seqs: number[] = []

  apply(messages: readonly Received[]): this {
    for (const m of messages) {
      switch (m.type) {
        case 'auth-success':
          if (m.resumed !== true) {
            this.objects.clear()
            for (const object of m.objects) this.objects.set(object.id, withoutTime(object))
          }
          this.seq = m.seq
          break
        case 'object-created':
          this.advance(m.seq)
          if (!this.objects.has(m.object.id)) this.objects.set(m.object.id, withoutTime(m.object))
          break
        case 'object-updated': {
          this.advance(m.seq)
          const current = this.objects.get(m.id)
          if (current) this.objects.set(m.id, { ...current, ...m.changes, version: current.version + 1 })
          break
        }
        case 'object-deleted':
          this.advance(m.seq)
          this.objects.delete(m.id)
          break
        case 'ack':
        case 'cursors':
        case 'selections':
        case 'error':
        case 'pong':
        case 'user-connected':
        case 'user-disconnected':
        case 'canvas-updated':
        case 'previews':
        case 'viewports':
        case 'role-changed':
          break // not canvas state
        default:
          m satisfies never
      }
    }
    return this
  }

  /** Objects sorted by id, without `updatedAt`: compare with `comparableObjects(server.objects)`. */
  sorted(): ComparableObject[] {
    return [...this.objects.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  private advance(seq: number): void {
    this.seqs.push(seq)
    this.seq = seq
  }
}

/** The server's objects in the replica's shape, for comparing states. */
export function comparableObjects(objects: readonly CanvasObject[]): ComparableObject[] {
  return objects.map(withoutTime).sort((a, b) => a.id.localeCompare(b.id))
}

function withoutTime(object: CanvasObject): ComparableObject {
  const { updatedAt: _updatedAt, ...rest } = object
  return rest
}
