import { useCallback, useEffect, useId, useState, type FormEvent } from 'react'
import type { ApiKeySummary, NewApiKeyBody } from '../../protocol/httpTypes.js'
import { api, ApiError, describeError } from '../app/apiClient.js'
import { navigate, signInPathFor } from '../app/router.js'
import { ConfirmDialog } from '../components/ConfirmDialog.js'
import { AppHeader } from './AppHeader.js'
import { relativeTime } from './relativeTime.js'

const NAME_MAX_LENGTH = 100
const TIER_LABEL = {
  free: 'Free · 10/min',
  starter: 'Starter · 60/min',
  professional: 'Professional · 600/min',
  enterprise: 'Enterprise · 6,000/min',
} as const

type Listing =
  { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'ready'; keys: ApiKeySummary[] }

/**
 * The signed-in user's API keys for the Triggers API (docs/triggers.md): create one with a name
 * (the key is shown once, to copy), list them by prefix, tier and last use, revoke one.
 */
export function ApiKeysPage() {
  const [listing, setListing] = useState<Listing>({ kind: 'loading' })
  const [created, setCreated] = useState<NewApiKeyBody | undefined>()
  const [revoking, setRevoking] = useState<ApiKeySummary | undefined>()

  const load = useCallback(async () => {
    try {
      setListing({ kind: 'ready', keys: (await api.listApiKeys()).keys })
    } catch (err) {
      if (err instanceof ApiError && err.status === 401)
        return navigate(signInPathFor('/settings/api-keys'), { replace: true })
      setListing({ kind: 'failed', message: describeError(err) })
    }
  }, [])

  useEffect(() => {
    document.title = 'API keys · CollabCanvas'
    void load()
  }, [load])

  return (
    <div className="page">
      <AppHeader />
      <main className="canvas-list-page api-keys-page">
        <div className="page-title-row">
          <div>
            <h1>API keys</h1>
            <p className="muted">
              Keys let automation platforms (Zapier, Make, n8n) send events, read your inbox, receive webhooks
              and edit your canvases. Send one as <code>X-API-Key</code>.
            </p>
          </div>
        </div>

        <CreateKeyForm
          onCreated={(key) => {
            setCreated(key)
            void load()
          }}
        />
        {created && <NewKeyPanel created={created} onDone={() => setCreated(undefined)} />}

        <h2 className="section-title">Your keys</h2>
        {listing.kind === 'loading' && (
          <p className="muted" aria-busy="true">
            Loading your keys…
          </p>
        )}
        {listing.kind === 'failed' && (
          <div className="form-error" role="alert">
            {listing.message}{' '}
            <button type="button" className="link-button" onClick={() => void load()}>
              Try again
            </button>
          </div>
        )}
        {listing.kind === 'ready' && listing.keys.length === 0 && (
          <p className="muted" data-testid="api-keys-empty">
            No keys yet.
          </p>
        )}
        {listing.kind === 'ready' && listing.keys.length > 0 && (
          <ul className="member-list" data-testid="api-key-list" aria-label="API keys">
            {listing.keys.map((key) => (
              <li key={key.keyId} data-testid="api-key" data-key-id={key.keyId}>
                <span className="member-name">
                  {key.name}
                  <span className="muted small">
                    <code>{key.prefix}…</code> · created {relativeTime(key.createdAt)} ·{' '}
                    {key.lastUsedAt === null ? 'never used' : `last used ${relativeTime(key.lastUsedAt)}`}
                  </span>
                </span>
                <span className="muted small" data-testid="api-key-tier">
                  {TIER_LABEL[key.tier]}
                </span>
                <button
                  type="button"
                  className="button ghost small danger"
                  aria-label={`Revoke ${key.name}`}
                  onClick={() => setRevoking(key)}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </main>
      <RevokeKeyDialog
        apiKey={revoking}
        onClose={() => setRevoking(undefined)}
        onRevoked={(keyId) => {
          setRevoking(undefined)
          setListing((l) =>
            l.kind === 'ready' ? { kind: 'ready', keys: l.keys.filter((k) => k.keyId !== keyId) } : l,
          )
        }}
      />
    </div>
  )
}

function CreateKeyForm({ onCreated }: { onCreated: (key: NewApiKeyBody) => void }) {
  const [name, setName] = useState('')
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const id = useId()

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (name.trim() === '') return setError('Enter a name, such as the workflow that will use the key.')
    setBusy(true)
    setError(undefined)
    try {
      onCreated(await api.createApiKey(name.trim()))
      setName('')
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'invalid_input'
          ? `Use 1 to ${NAME_MAX_LENGTH} visible characters.`
          : describeError(err),
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="share-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Create an API key">
      <div className={error ? 'field grow has-error' : 'field grow'}>
        <label htmlFor={id}>Key name</label>
        <input
          id={id}
          value={name}
          maxLength={NAME_MAX_LENGTH}
          placeholder="Zapier: new form answers"
          onChange={(e) => setName(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
        {error && (
          <p className="field-error" id={`${id}-error`}>
            {error}
          </p>
        )}
      </div>
      <button type="submit" className="button primary share-submit" disabled={busy}>
        Create key
      </button>
    </form>
  )
}

/** The new key, this once: only its hash is kept, so it cannot be shown again. */
function NewKeyPanel({ created, onDone }: { created: NewApiKeyBody; onDone: () => void }) {
  const [copied, setCopied] = useState(false)
  return (
    <section className="new-api-key" aria-label="New API key" data-testid="new-api-key">
      <p>
        <strong>{created.name}</strong>: copy this key now. It will not be shown again.
      </p>
      <div className="share-form">
        <input
          className="grow"
          readOnly
          value={created.apiKey}
          aria-label="New API key"
          data-testid="new-api-key-value"
          onFocus={(e) => e.target.select()}
        />
        <button
          type="button"
          className="button small"
          onClick={() =>
            void navigator.clipboard?.writeText(created.apiKey).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="button small" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  )
}

function RevokeKeyDialog({
  apiKey,
  onClose,
  onRevoked,
}: {
  apiKey: ApiKeySummary | undefined
  onClose: () => void
  onRevoked: (keyId: string) => void
}) {
  return (
    <ConfirmDialog
      title="Revoke API key?"
      open={apiKey !== undefined}
      onClose={onClose}
      testId="revoke-api-key-dialog"
      confirmLabel="Revoke key"
      onConfirm={async () => {
        if (!apiKey) return
        await api.revokeApiKey(apiKey.keyId)
        onRevoked(apiKey.keyId)
      }}
    >
      <p>
        “{apiKey?.name}” (<code>{apiKey?.prefix}…</code>) stops working at once: automations using it will get
        401 until they are given another key.
      </p>
    </ConfirmDialog>
  )
}
