import { useEffect, useId, useState, type FormEvent } from 'react'
import type { CanvasSummary } from '../../protocol/httpTypes.js'
import { api, ApiError, describeError } from '../app/apiClient.js'
import { ConfirmDialog } from '../components/ConfirmDialog.js'
import { Dialog } from '../components/Dialog.js'
import { CANVAS_NAME_MAX_LENGTH, canvasNameProblem } from './canvasName.js'

interface NameProps {
  open: boolean
  title: string
  submitLabel: string
  initialName: string
  onClose: () => void
  /** Throws an ApiError to show; closes the dialog itself (or navigates) on success. */
  onSubmit: (name: string) => Promise<void>
}

export function NameCanvasDialog({ open, title, submitLabel, initialName, onClose, onSubmit }: NameProps) {
  const [name, setName] = useState(initialName)
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const id = useId()

  useEffect(() => {
    if (!open) return
    setName(initialName)
    setError(undefined)
    setBusy(false)
  }, [open, initialName])

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const problem = canvasNameProblem(name)
    if (problem !== undefined) return setError(problem)
    setBusy(true)
    try {
      await onSubmit(name.trim())
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'invalid_input'
          ? `Use 1 to ${CANVAS_NAME_MAX_LENGTH} visible characters.`
          : describeError(err),
      )
      setBusy(false)
    }
  }

  return (
    <Dialog title={title} open={open} onClose={onClose} testId="canvas-name-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className={error ? 'field has-error' : 'field'}>
          <label htmlFor={id}>Name</label>
          <input
            id={id}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            autoFocus
            onFocus={(e) => e.target.select()}
          />
          {error && (
            <p className="field-error" id={`${id}-error`}>
              {error}
            </p>
          )}
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  )
}

interface DeleteProps {
  canvas: CanvasSummary | undefined
  onClose: () => void
  onDeleted: (id: string) => void
}

export function DeleteCanvasDialog({ canvas, onClose, onDeleted }: DeleteProps) {
  return (
    <ConfirmDialog
      title="Delete canvas?"
      open={canvas !== undefined}
      onClose={onClose}
      testId="delete-canvas-dialog"
      confirmLabel="Delete canvas"
      onConfirm={async () => {
        if (!canvas) return
        await api.deleteCanvas(canvas.id)
        onDeleted(canvas.id)
      }}
    >
      <p>
        “{canvas?.name}” and everything on it will be deleted for everyone it is shared with. This cannot be
        undone.
      </p>
    </ConfirmDialog>
  )
}
