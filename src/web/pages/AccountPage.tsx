import { useCallback, useEffect, useState } from 'react'
import type { AuthProvidersBody, IdentitiesBody, LinkedIdentity } from '../../protocol/httpTypes.js'
import { api, describeError } from '../app/apiClient.js'
import { useSession } from '../app/session.js'
import { AppHeader } from './AppHeader.js'
import { currentSsoError, ssoErrorMessage } from './ssoMessages.js'

type Loaded = { providers: AuthProvidersBody; identities: IdentitiesBody }

/**
 * Account settings: the single sign-on identities linked to this account, linking another
 * (a full-page trip through the provider, back here) and unlinking one, which the server refuses
 * when it is the last way to sign in.
 */
export function AccountPage() {
  const { user } = useSession()
  const [loaded, setLoaded] = useState<Loaded | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState<string | undefined>()
  const [ssoError] = useState(currentSsoError)

  const load = useCallback(async () => {
    try {
      const [providers, identities] = await Promise.all([api.authProviders(), api.identities()])
      setLoaded({ providers, identities })
    } catch (err) {
      setError(describeError(err))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const unlink = async (identity: LinkedIdentity) => {
    setBusy(identity.id)
    setError(undefined)
    try {
      await api.unlinkIdentity(identity.id)
      await load()
    } catch (err) {
      setError(describeError(err))
    } finally {
      setBusy(undefined)
    }
  }

  const sso = loaded?.providers.sso
  const identities = loaded?.identities.identities ?? []
  // The server decides; this only greys out the button it would refuse.
  const canUnlink = identities.length > 1 || loaded?.identities.hasPassword === true
  return (
    <div className="page">
      <AppHeader />
      <main className="canvas-list-page account-page">
        <div className="page-title-row">
          <div>
            <h1>Account settings</h1>
            <p className="muted">
              Signed in as {user.username} ({user.email})
            </p>
          </div>
        </div>
        {ssoError !== null && sso && (
          <div className="form-error" role="alert" data-testid="sso-error">
            {ssoErrorMessage(ssoError, sso.name)}
          </div>
        )}
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <section aria-labelledby="sign-in-methods">
          <h2 id="sign-in-methods" className="section-title">
            Ways to sign in
          </h2>
          {!loaded && !error && (
            <p className="muted" aria-busy="true">
              Loading…
            </p>
          )}
          {loaded && (
            <ul className="identity-list" aria-label="Linked accounts">
              {loaded.identities.hasPassword && (
                <li className="identity-row">
                  <span>Email and password</span>
                </li>
              )}
              {identities.map((identity) => (
                <li key={identity.id} className="identity-row" data-testid="linked-identity">
                  <span>
                    {sso?.name ?? 'Single sign-on'}
                    {identity.email && <span className="muted"> · {identity.email}</span>}
                  </span>
                  <button
                    type="button"
                    className="button ghost"
                    disabled={!canUnlink || busy !== undefined}
                    title={canUnlink ? undefined : 'Your only way to sign in cannot be removed'}
                    onClick={() => void unlink(identity)}
                  >
                    {busy === identity.id ? 'Unlinking…' : 'Unlink'}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {sso && (
            <a className="button" href="/auth/link">
              Link a {sso.name} account
            </a>
          )}
        </section>
      </main>
    </div>
  )
}
