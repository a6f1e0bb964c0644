import { useEffect, useState, type ReactNode } from 'react'
import { describeError } from '../app/apiClient.js'
import { Dialog } from './Dialog.js'

interface Props {
  title: string
  open: boolean
  onClose: () => void
  testId?: string
  /** The destructive button's label, e.g. "Delete canvas". */
  confirmLabel: string
  /** Does the thing; a throw is shown in the dialog, success is the caller's to close. */
  onConfirm: () => Promise<void>
  /** What will happen, in words. */
  children: ReactNode
}

/** Asks before something that cannot be undone: Cancel has the focus, a failure shows inside. */
export function ConfirmDialog({ title, open, onClose, testId, confirmLabel, onConfirm, children }: Props) {
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    if (!open) return
    setError(undefined)
    setBusy(false)
  }, [open])

  const confirm = async () => {
    setBusy(true)
    try {
      await onConfirm()
    } catch (err) {
      setError(describeError(err))
      setBusy(false)
    }
  }

  return (
    <Dialog title={title} open={open} onClose={onClose} testId={testId}>
      {children}
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" className="button danger-solid" disabled={busy} onClick={() => void confirm()}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  )
}
