import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { PendingOp } from './pendingOp.js'

/**
 * Where unacknowledged edits survive a reload or a closed tab [SYNC20, SYNC24]. The engine puts
 * an op before sending it and removes it once the server acked or refused it.
 */
export interface PendingStore {
  /** The canvas's stored ops, in `order`. */
  load(canvasId: string): Promise<PendingOp[]>
  /** Stores `op` (replacing one with the same opId); resolves once it is written. */
  put(canvasId: string, op: PendingOp): Promise<void>
  /** Forgets an op; removing one that is not there is not an error. */
  remove(canvasId: string, opId: string): Promise<void>
}

const byOrder = (a: PendingOp, b: PendingOp) => a.order - b.order

/** For tests and for pages that must not touch IndexedDB: lives as long as the object. */
export class MemoryPendingStore implements PendingStore {
  private readonly canvases = new Map<string, Map<string, PendingOp>>()

  async load(canvasId: string): Promise<PendingOp[]> {
    // Copies in and out, as IndexedDB's structured clone does: no one shares the stored objects.
    return [...(this.canvases.get(canvasId)?.values() ?? [])].map((op) => structuredClone(op)).sort(byOrder)
  }

  async put(canvasId: string, op: PendingOp): Promise<void> {
    let ops = this.canvases.get(canvasId)
    if (ops === undefined) {
      ops = new Map<string, PendingOp>()
      this.canvases.set(canvasId, ops)
    }
    ops.set(op.opId, structuredClone(op))
  }

  async remove(canvasId: string, opId: string): Promise<void> {
    this.canvases.get(canvasId)?.delete(opId)
  }
}

interface StoredOp extends PendingOp {
  canvasId: string
}

interface SyncDb extends DBSchema {
  pendingOps: { key: [string, string]; value: StoredOp; indexes: { byCanvas: string } }
}

const DB_VERSION = 1

/**
 * The browser's store: one IndexedDB database (default `collabcanvas-sync`) shared by every tab
 * of the origin, one record per op keyed by [canvasId, opId].
 */
export class IndexedDbPendingStore implements PendingStore {
  private db: Promise<IDBPDatabase<SyncDb>> | undefined

  constructor(private readonly name = 'collabcanvas-sync') {}

  async load(canvasId: string): Promise<PendingOp[]> {
    const db = await this.open()
    const rows = await db.getAllFromIndex('pendingOps', 'byCanvas', canvasId)
    return rows.map(({ canvasId: _canvasId, ...op }) => op).sort(byOrder)
  }

  async put(canvasId: string, op: PendingOp): Promise<void> {
    const db = await this.open()
    await db.put('pendingOps', { ...op, canvasId })
  }

  async remove(canvasId: string, opId: string): Promise<void> {
    const db = await this.open()
    await db.delete('pendingOps', [canvasId, opId])
  }

  /** Closes the connection; the next call opens it again. */
  async close(): Promise<void> {
    const db = this.db
    this.db = undefined
    if (db !== undefined) (await db).close()
  }

  private open(): Promise<IDBPDatabase<SyncDb>> {
    if (this.db !== undefined) return this.db
    const opening = openDB<SyncDb>(this.name, DB_VERSION, {
      upgrade(db) {
        const ops = db.createObjectStore('pendingOps', { keyPath: ['canvasId', 'opId'] })
        ops.createIndex('byCanvas', 'canvasId')
      },
      // A newer version of the app opened in another tab wants to upgrade: let it, and reopen
      // on the next call instead of blocking it.
      blocking: () => {
        if (this.db === opening) this.db = undefined
        void opening.then((db) => db.close())
      },
      terminated: () => {
        if (this.db === opening) this.db = undefined
      },
    })
    // A failed open is not cached: the next call tries again.
    opening.catch(() => {
      if (this.db === opening) this.db = undefined
    })
    this.db = opening
    return opening
  }
}
