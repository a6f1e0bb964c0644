import { AppError } from '../../protocol/appError.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { guarded } from '../../sqlite/sqliteErrors.js'
import { imageHashOf } from '../imageHash.js'
import type { ImageStore, NewImage, StoredImage, StoredImageMeta, StoredImageType } from '../imageStore.js'

interface ImageRow {
  canvas_id: string
  hash: string
  type: StoredImageType
  width: number
  height: number
  size: number
  created_by: string
  created_at: string
  bytes?: Buffer
}

const META = 'canvas_id, hash, type, width, height, length(bytes) AS size, created_by, created_at'

const toMeta = (r: ImageRow): StoredImageMeta => ({
  canvasId: r.canvas_id,
  hash: r.hash,
  type: r.type,
  width: r.width,
  height: r.height,
  size: r.size,
  createdBy: r.created_by,
  createdAt: r.created_at,
})

/** Images in the SQLite database the canvases live in (src/store/imageStore.ts). */
export class SqliteImageStore implements ImageStore {
  private readonly statements
  constructor(
    db: SqliteDb,
    private readonly now: () => number = Date.now,
  ) {
    this.statements = {
      // The first upload's row wins [IMG1]: same hash, same bytes.
      insert: db.prepare(
        `INSERT INTO canvas_images (canvas_id, hash, type, width, height, bytes, created_by, created_at)
         VALUES (@canvasId, @hash, @type, @width, @height, @bytes, @createdBy, @createdAt)
         ON CONFLICT (canvas_id, hash) DO NOTHING`,
      ),
      meta: db.prepare(`SELECT ${META} FROM canvas_images WHERE canvas_id = ? AND hash = ?`),
      get: db.prepare(`SELECT ${META}, bytes FROM canvas_images WHERE canvas_id = ? AND hash = ?`),
    }
  }

  put(image: NewImage): Promise<StoredImageMeta> {
    if (imageHashOf(image.bytes) !== image.hash) {
      return Promise.reject(new AppError('internal', 'image hash does not match its bytes'))
    }
    return guarded(() => {
      this.statements.insert.run({ ...image, createdAt: new Date(this.now()).toISOString() })
      return toMeta(this.statements.meta.get(image.canvasId, image.hash) as ImageRow)
    })
  }

  get(canvasId: string, hash: string): Promise<StoredImage | undefined> {
    return guarded(() => {
      const row = this.statements.get.get(canvasId, hash) as (ImageRow & { bytes: Buffer }) | undefined
      return row && { ...toMeta(row), bytes: row.bytes }
    })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
