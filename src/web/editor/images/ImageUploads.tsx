import { useEffect } from 'react'
import type { PendingUpload } from './useImageInsert.js'

const ERROR_MS = 8_000

interface Props {
  uploads: readonly PendingUpload[]
  error: { message: string; at: number } | undefined
  onDismissError: () => void
}

/** Placeholders of uploads in progress, where their images will appear, and the last refusal. */
export function ImageUploads({ uploads, error, onDismissError }: Props) {
  useEffect(() => {
    if (!error) return
    const timer = setTimeout(onDismissError, ERROR_MS)
    return () => clearTimeout(timer)
  }, [error, onDismissError])
  return (
    <>
      {uploads.map((u) => (
        <div
          key={u.key}
          className="image-upload-placeholder"
          data-testid="image-upload-placeholder"
          role="status"
          style={{ left: u.at.x, top: u.at.y }}
        >
          <span className="image-upload-name">{u.name}</span>
          <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
        </div>
      ))}
      {error && (
        <div className="toast image-upload-error" role="alert" data-testid="image-upload-error">
          {error.message}
          <button type="button" className="link-button" onClick={onDismissError}>
            Dismiss
          </button>
        </div>
      )}
    </>
  )
}
