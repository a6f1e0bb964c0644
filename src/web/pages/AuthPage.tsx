import { useEffect, useId, useState, type FormEvent } from 'react'
import type { AuthProvidersBody, User } from '../../protocol/httpTypes.js'
import { api, ApiError, describeError } from '../app/apiClient.js'
import { Link } from '../app/Link.js'
import { Logo } from './Logo.js'
import { currentSsoError, ssoErrorMessage } from './ssoMessages.js'

type Field = 'email' | 'username' | 'password'
type FieldErrors = Partial<Record<Field, string>>

// src/auth/passwords.ts holds the server's bounds; the browser only pre-checks them.
const PASSWORD_MIN_LENGTH = 8
const PASSWORD_MAX_LENGTH = 128

interface Props {
  mode: 'sign-in' | 'register'
  next: string | undefined
  onSignedIn: (user: User, next: string | undefined) => void
}

export function AuthPage({ mode, next, onSignedIn }: Props) {
  const registering = mode === 'register'
  const [email, setEmail] = useState('')
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const nextQuery = next ? `?next=${encodeURIComponent(next)}` : ''
  const [providers, setProviders] = useState<AuthProvidersBody | undefined>()
  const [ssoError] = useState(currentSsoError)

  // How one may sign in here: the SSO button appears only when a provider is configured.
  useEffect(() => {
    let cancelled = false
    api.authProviders().then(
      (body) => !cancelled && setProviders(body),
      () => undefined,
    )
    return () => {
      cancelled = true
    }
  }, [])
  const sso = providers?.sso
  const passwordLogin = providers?.passwordLogin ?? true
  const ssoHref = `/auth/login${next ? `?returnTo=${encodeURIComponent(next)}` : ''}`

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const local = checkLocally(registering, { email, username, password })
    setFieldErrors(local)
    setFormError(undefined)
    if (Object.keys(local).length > 0) return
    setBusy(true)
    try {
      const { user } = registering
        ? await api.register({ email: email.trim(), username: username.trim(), password })
        : await api.login({ email: email.trim(), password })
      onSignedIn(user, next)
    } catch (err) {
      const mapped = fieldErrorFor(err, registering)
      if (mapped) setFieldErrors(mapped)
      else setFormError(formMessageFor(err, registering))
      setBusy(false)
    }
  }

  return (
    <main className="auth-page">
      <div className="auth-card">
        <Logo />
        <h1>{registering ? 'Create your account' : 'Sign in to CollabCanvas'}</h1>
        <p className="muted">
          {registering ? 'Design together, in real time.' : 'Welcome back. Your canvases are waiting.'}
        </p>
        {ssoError !== null && sso && (
          <div className="form-error" role="alert" data-testid="sso-error">
            {ssoErrorMessage(ssoError, sso.name)}
          </div>
        )}
        {sso && (
          // A full-page navigation: the provider's login page, then back through /auth/callback.
          <a className="button block sso-button" href={ssoHref}>
            Continue with {sso.name}
          </a>
        )}
        {sso && passwordLogin && (
          <p className="auth-divider" aria-hidden="true">
            or
          </p>
        )}
        {passwordLogin && (
          <form onSubmit={(e) => void submit(e)} noValidate aria-label={registering ? 'Register' : 'Sign in'}>
            {formError && (
              <div className="form-error" role="alert" data-testid="form-error">
                {formError}
              </div>
            )}
            <TextField
              label="Email"
              type="email"
              autoComplete="email"
              value={email}
              onChange={setEmail}
              error={fieldErrors.email}
              autoFocus
            />
            {registering && (
              <TextField
                label="Name"
                hint="Shown to people you work with."
                autoComplete="nickname"
                value={username}
                onChange={setUsername}
                error={fieldErrors.username}
                maxLength={40}
              />
            )}
            <TextField
              label="Password"
              type="password"
              autoComplete={registering ? 'new-password' : 'current-password'}
              value={password}
              onChange={setPassword}
              error={fieldErrors.password}
              hint={registering ? `At least ${PASSWORD_MIN_LENGTH} characters.` : undefined}
            />
            <button type="submit" className="button primary block" disabled={busy}>
              {busy
                ? registering
                  ? 'Creating account…'
                  : 'Signing in…'
                : registering
                  ? 'Create account'
                  : 'Sign in'}
            </button>
          </form>
        )}
        {passwordLogin && (
          <p className="auth-switch">
            {registering ? (
              <>
                Already have an account? <Link href={`/signin${nextQuery}`}>Sign in</Link>
              </>
            ) : (
              <>
                New to CollabCanvas? <Link href={`/register${nextQuery}`}>Create an account</Link>
              </>
            )}
          </p>
        )}
      </div>
    </main>
  )
}

interface TextFieldProps {
  label: string
  value: string
  onChange: (value: string) => void
  error: string | undefined
  type?: 'text' | 'email' | 'password'
  autoComplete?: string
  hint?: string | undefined
  autoFocus?: boolean
  maxLength?: number
}

function TextField({ label, value, onChange, error, type = 'text', hint, ...rest }: TextFieldProps) {
  const id = useId()
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div className={error ? 'field has-error' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={label.toLowerCase()}
        type={type}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...rest}
      />
      {hint && !error && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} data-testid={`field-error-${label.toLowerCase()}`}>
          {error}
        </p>
      )}
    </div>
  )
}

function checkLocally(
  registering: boolean,
  values: { email: string; username: string; password: string },
): FieldErrors {
  const errors: FieldErrors = {}
  if (values.email.trim() === '') errors.email = 'Enter your email address.'
  else if (!/^[^\s@]+@[^\s@]+$/.test(values.email.trim())) errors.email = 'Enter a valid email address.'
  if (registering && values.username.trim() === '') errors.username = 'Enter a name.'
  if (values.password === '') errors.password = 'Enter your password.'
  else if (registering && values.password.length < PASSWORD_MIN_LENGTH)
    errors.password = `Use at least ${PASSWORD_MIN_LENGTH} characters.`
  else if (registering && values.password.length > PASSWORD_MAX_LENGTH)
    errors.password = `Use at most ${PASSWORD_MAX_LENGTH} characters.`
  return errors
}

/** The API's `{error: {code, message, field}}` as a message under the field it is about. */
function fieldErrorFor(err: unknown, registering: boolean): FieldErrors | undefined {
  if (!(err instanceof ApiError)) return undefined
  if (registering && err.code === 'conflict') return { email: 'An account with this email already exists.' }
  if (err.code !== 'invalid_input' || err.field === undefined) return undefined
  const field = err.field.split('.')[0] ?? ''
  switch (field) {
    case 'email':
      return { email: 'Enter a valid email address.' }
    case 'username':
      return { username: 'Use 1 to 40 visible characters.' }
    case 'password':
      return {
        password: registering
          ? `Use ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`
          : 'Enter your password.',
      }
    default:
      return undefined
  }
}

function formMessageFor(err: unknown, registering: boolean): string {
  if (err instanceof ApiError) {
    if (err.code === 'unauthorized' && !registering) return 'That email and password do not match.'
    if (err.code === 'rate_limited') return 'Too many attempts. Wait a minute, then try again.'
  }
  return describeError(err)
}
