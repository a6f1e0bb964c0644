import { useEffect, useState } from 'react'

const TOAST_MS = 5_000

/** The engine's latest refusal or failure, in plain words, for a few seconds. */
export function ErrorToast({ error }: { error: { code: string; message: string } | undefined }) {
  const [shown, setShown] = useState(error)
  useEffect(() => {
    setShown(error)
    if (!error) return
    const timer = setTimeout(() => setShown(undefined), TOAST_MS)
    return () => clearTimeout(timer)
  }, [error])
  if (!shown) return null
  return (
    <div className="toast" role="alert" data-testid="error-toast" data-code={shown.code}>
      {toastText(shown)}
    </div>
  )
}

function toastText(error: { code: string; message: string }): string {
  switch (error.code) {
    case 'forbidden':
      return 'You can’t edit this canvas.'
    case 'rate_limited':
      return 'Slow down: too many changes at once.'
    case 'limit_exceeded':
      return 'This canvas is full (10,000 objects).'
    case 'storage_full':
    case 'storage_unavailable':
      return 'The server could not save that change. Try again in a moment.'
    default:
      return error.message.charAt(0).toUpperCase() + error.message.slice(1)
  }
}
