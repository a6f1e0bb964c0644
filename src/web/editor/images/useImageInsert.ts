import { useCallback, useRef, useState } from 'react'
import type { NewObject } from '../../../protocol/objects.js'
import { screenToWorld, type Point, type Viewport } from '../../canvas/viewport.js'
import { imageObjectAt } from './placeImage.js'
import { uploadImage, UploadError } from './uploadImage.js'

/** An upload in progress, drawn as a placeholder where its image will appear. */
export interface PendingUpload {
  key: number
  /** Screen position (px in the stage) of the placeholder's centre. */
  at: Point
  name: string
  /** 0..1 of the bytes sent. */
  progress: number
}

export interface ImageInsertContext {
  canvasId: string
  viewport: Viewport
  /** The stage's size in px. */
  size: { width: number; height: number }
  /** The zIndex a new object on top takes. */
  nextZ: () => number
  create: (object: NewObject) => void
  /** Called with the new object's id once it is on the canvas. */
  placed: (id: string) => void
}

/** Files handled at once; more in one paste or drop are most likely a mistake. */
const MAX_FILES_AT_ONCE = 10
/** Placeholders of several files step down and right, so each is visible. */
const STACK_OFFSET_PX = 24

/**
 * Paste, drop and the toolbar's button all end here: each file is uploaded (a placeholder with
 * its progress shows where it goes) and, once stored, becomes an image object at that point, at
 * its natural size capped to the view. A refusal shows the server's plain-words reason.
 */
export function useImageInsert(context: ImageInsertContext) {
  const latest = useRef(context)
  latest.current = context
  const [uploads, setUploads] = useState<readonly PendingUpload[]>([])
  const [error, setError] = useState<{ message: string; at: number } | undefined>()
  const nextKey = useRef(0)

  const insertFiles = useCallback((files: readonly File[], at?: Point) => {
    const ctx = latest.current
    const start = at ?? { x: ctx.size.width / 2, y: ctx.size.height / 2 }
    if (files.length > MAX_FILES_AT_ONCE) {
      setError({ message: `Add at most ${MAX_FILES_AT_ONCE} images at once.`, at: Date.now() })
      return
    }
    files.forEach((file, i) => {
      const key = ++nextKey.current
      const point = { x: start.x + i * STACK_OFFSET_PX, y: start.y + i * STACK_OFFSET_PX }
      setUploads((list) => [...list, { key, at: point, name: file.name || 'image', progress: 0 }])
      const progress = (fraction: number) =>
        setUploads((list) => list.map((u) => (u.key === key ? { ...u, progress: fraction } : u)))
      uploadImage(ctx.canvasId, file, progress)
        .then((image) => {
          // The view may have moved while the bytes travelled: place by the view as it is now.
          const now = latest.current
          const visible = {
            width: now.size.width / now.viewport.scale,
            height: now.size.height / now.viewport.scale,
          }
          const object = imageObjectAt(image, screenToWorld(now.viewport, point), visible, now.nextZ())
          now.create(object)
          now.placed(object.id)
        })
        .catch((err: unknown) => {
          const message = err instanceof UploadError ? err.message : 'The image could not be added.'
          setError({ message: `${file.name || 'The image'}: ${message}`, at: Date.now() })
        })
        .finally(() => setUploads((list) => list.filter((u) => u.key !== key)))
    })
  }, [])

  const dismissError = useCallback(() => setError(undefined), [])
  return { uploads, error, insertFiles, dismissError }
}
