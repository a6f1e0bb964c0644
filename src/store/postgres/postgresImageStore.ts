import type { PgPool } from '../../postgres/openPostgres.js'
import { pgGuarded } from '../../postgres/postgresErrors.js'
import { AppError } from '../../protocol/appError.js'
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
  created_at: Date
}

const META = 'canvas_id, hash, type, width, height, octet_length(bytes)::int AS size, created_by, created_at'

const toMeta = (r: ImageRow): StoredImageMeta => ({
  canvasId: r.canvas_id,
  hash: r.hash,
  type: r.type,
  width: r.width,
  height: r.height,
  size: r.size,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
})

/** Images in PostgreSQL (src/store/imageStore.ts), as SqliteImageStore keeps them. */
export class PostgresImageStore implements ImageStore {
  constructor(
    private readonly pool: PgPool,
    private readonly now: () => number = Date.now,
  ) {}

  put(image: NewImage): Promise<StoredImageMeta> {
    if (imageHashOf(image.bytes) !== image.hash) {
      return Promise.reject(new AppError('internal', 'image hash does not match its bytes'))
    }
    return pgGuarded(async () => {
      // The first upload's row wins [IMG1]; a concurrent same upload waits on the key, then skips.
      await this.pool.query(
        `INSERT INTO canvas_images (canvas_id, hash, type, width, height, bytes, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (canvas_id, hash) DO NOTHING`,
        [
          image.canvasId,
          image.hash,
          image.type,
          image.width,
          image.height,
          image.bytes,
          image.createdBy,
          new Date(this.now()),
        ],
      )
      const r = await this.pool.query<ImageRow>(
        `SELECT ${META} FROM canvas_images WHERE canvas_id = $1 AND hash = $2`,
        [image.canvasId, image.hash],
      )
      return toMeta(r.rows[0] as ImageRow)
    })
  }

  get(canvasId: string, hash: string): Promise<StoredImage | undefined> {
    return pgGuarded(async () => {
      const r = await this.pool.query<ImageRow & { bytes: Buffer }>(
        `SELECT ${META}, bytes FROM canvas_images WHERE canvas_id = $1 AND hash = $2`,
        [canvasId, hash],
      )
      const row = r.rows[0]
      return row && { ...toMeta(row), bytes: row.bytes }
    })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
