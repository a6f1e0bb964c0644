import { useCallback, useEffect, useRef, useState } from 'react'
import type { AiPreview, AiQuotaState } from '../../../protocol/aiHttpTypes.js'
import { MOD_KEY } from '../Toolbar.js'
import { fetchAiQuota, runAiCommand, type AiRequest } from './aiApi.js'

/** Prompts shown under the box, each one click away. */
const EXAMPLES = [
  'create a login form',
  'add a pricing table with 3 tiers in dark theme',
  'make a 3x3 grid of red circles',
  'align left',
  'make it dark',
]

interface Props {
  canvasId: string
  canEdit: boolean
  /** The request's selection and viewport, read when the command is sent. */
  context: () => Omit<AiRequest, 'command'>
  /** Objects were made: one undo step, and the new frames selected. */
  onMade: (ids: readonly string[], frames: readonly string[]) => void
  preview: AiPreview | undefined
  onPreview: (preview: AiPreview | undefined) => void
  /** Apply the preview; returns how many changes were skipped (changed by others since). */
  onAccept: (preview: AiPreview) => number
}

type Status =
  | { kind: 'idle' }
  | { kind: 'working' }
  | { kind: 'done'; summary: string }
  | { kind: 'error'; message: string; suggestions: string[] }

/**
 * The AI command box (docs/ai.md): Ctrl/Cmd+K opens it; a command is sent to the server, which
 * makes components for everyone; progress, the summary, errors and suggestions show inline, and
 * the quota left this hour below. An edit comes back as a preview on the canvas, to accept (one
 * undo step) or reject.
 */
export function AiCommandBox({ canvasId, canEdit, context, onMade, preview, onPreview, onAccept }: Props) {
  const [open, setOpen] = useState(false)
  const [command, setCommand] = useState('')
  const [status, setStatus] = useState<Status>({ kind: 'idle' })
  const [quota, setQuota] = useState<AiQuotaState>()
  const input = useRef<HTMLInputElement>(null)

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault()
        setOpen((o) => !o)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  useEffect(() => {
    if (!open) return
    input.current?.focus()
    void fetchAiQuota().then((body) => body && setQuota(body.quota))
  }, [open])

  const send = useCallback(
    async (text: string) => {
      const trimmed = text.trim()
      if (trimmed === '' || status.kind === 'working') return
      setCommand(trimmed)
      setStatus({ kind: 'working' })
      onPreview(undefined)
      const result = await runAiCommand(canvasId, { command: trimmed, ...context() })
      if (!result.ok) {
        if (result.quota) setQuota(result.quota)
        const message =
          result.code === 'rate_limited'
            ? `You have used your AI commands for now. Try again in ${formatWait(result.retryAfterSec ?? 60)}.`
            : result.message.charAt(0).toUpperCase() + result.message.slice(1)
        setStatus({ kind: 'error', message, suggestions: result.suggestions })
        return
      }
      const { body } = result
      setQuota(body.quota)
      if (body.objects.length > 0) {
        onMade(
          body.objects.map((o) => o.id),
          body.objects.filter((o) => o.type === 'frame' && (o.parentId ?? null) === null).map((o) => o.id),
        )
      }
      if (body.preview) onPreview(body.preview)
      setStatus({ kind: 'done', summary: body.summary })
    },
    [canvasId, context, onMade, onPreview, status.kind],
  )

  if (!canEdit) return null
  if (!open) {
    return (
      <button
        type="button"
        className="button small ai-open"
        onClick={() => setOpen(true)}
        title={`AI command (${MOD_KEY}+K)`}
      >
        ✨ Ask AI
      </button>
    )
  }
  const changeCount = preview ? preview.updates.length + preview.deletes.length : 0
  return (
    <section className="ai-panel" aria-label="AI command" data-testid="ai-panel">
      <form
        className="ai-form"
        onSubmit={(e) => {
          e.preventDefault()
          void send(command)
        }}
      >
        <input
          ref={input}
          className="ai-input"
          aria-label="AI command"
          placeholder="Describe what to make or change, e.g. “create a login form”"
          maxLength={500}
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(false)
            // Editor shortcuts (Delete, V, R…) must not fire while typing a command.
            e.stopPropagation()
          }}
          disabled={status.kind === 'working'}
        />
        <button
          type="submit"
          className="button primary small"
          disabled={status.kind === 'working' || command.trim() === ''}
        >
          {status.kind === 'working' ? 'Working…' : 'Generate'}
        </button>
        <button
          type="button"
          className="button ghost small"
          aria-label="Close the AI command box"
          onClick={() => setOpen(false)}
        >
          ✕
        </button>
      </form>
      <div
        role="status"
        aria-live="polite"
        className="ai-status"
        data-testid="ai-status"
        data-state={status.kind}
      >
        {status.kind === 'working' && <span className="ai-progress">Working on “{command}”…</span>}
        {status.kind === 'done' && <span>{status.summary}</span>}
      </div>
      {status.kind === 'error' && (
        <div role="alert" className="ai-error" data-testid="ai-error">
          {status.message}
          {status.suggestions.length > 0 && (
            <div className="ai-suggestions">
              Try:{' '}
              {status.suggestions.map((s) => (
                <button key={s} type="button" className="link-button" onClick={() => void send(s)}>
                  {s}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
      {preview && (
        <div className="ai-preview" data-testid="ai-preview">
          <span>
            Preview: {changeCount} change{changeCount === 1 ? '' : 's'}. Keep it?
          </span>
          <button
            type="button"
            className="button primary small"
            onClick={() => {
              const skipped = onAccept(preview)
              onPreview(undefined)
              setStatus({
                kind: 'done',
                summary:
                  skipped > 0
                    ? `Applied; ${skipped} change${skipped === 1 ? '' : 's'} skipped: someone else changed ${skipped === 1 ? 'it' : 'them'} meanwhile.`
                    : 'Applied.',
              })
            }}
          >
            Accept
          </button>
          <button
            type="button"
            className="button small"
            onClick={() => {
              onPreview(undefined)
              setStatus({ kind: 'done', summary: 'Rejected: nothing changed.' })
            }}
          >
            Reject
          </button>
        </div>
      )}
      {status.kind !== 'error' && !preview && (
        <div className="ai-examples">
          {EXAMPLES.map((e) => (
            <button
              key={e}
              type="button"
              className="ai-chip"
              onClick={() => void send(e)}
              disabled={status.kind === 'working'}
            >
              {e}
            </button>
          ))}
        </div>
      )}
      {quota && (
        <div className="ai-quota" data-testid="ai-quota">
          {quota.remaining} of {quota.limit} AI commands left this hour
        </div>
      )}
    </section>
  )
}

function formatWait(seconds: number): string {
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`
}
