import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'

export interface JwksCacheOptions {
  now: () => number
  /** At most one fetch per this long, whatever the tokens ask for [J3]. */
  cooldownMs?: number
  /** Keys older than this are refetched (in the background: the old ones serve meanwhile). */
  maxAgeMs?: number
  /** One fetch's deadline: an unreachable provider costs at most this, never a hang [J3]. */
  timeoutMs?: number
  /** A failed fetch (the keys we have keep serving). */
  onFetchError?: (err: unknown) => void
}

/**
 * The provider's signing keys for Bearer access tokens, on jose's local key set. jose's remote
 * set is close, but rejects every token once its keys are older than their max age and the
 * provider is unreachable, and retries a failed fetch on every token with an unknown `kid`.
 * Here keys are served from cache while the provider is down, and fetches, failed or not, are
 * bounded to one per cooldown, so random `kid`s cannot make us hammer the provider [J3].
 */
export class JwksCache {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined
  private fetchedAt = Number.NEGATIVE_INFINITY
  private lastAttempt = Number.NEGATIVE_INFINITY
  private pending: Promise<void> | undefined
  private readonly cooldownMs: number
  private readonly maxAgeMs: number
  private readonly timeoutMs: number
  /** Fetches started, for tests and logs. */
  fetches = 0

  constructor(
    private readonly uri: () => string | undefined,
    private readonly options: JwksCacheOptions,
  ) {
    this.cooldownMs = options.cooldownMs ?? 30_000
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000
    this.timeoutMs = options.timeoutMs ?? 5_000
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.keys) await this.refresh()
    else if (this.options.now() - this.fetchedAt > this.maxAgeMs) void this.refresh()
    const keys = this.keys
    if (!keys) throw new errors.JWKSNoMatchingKey('the provider\u2019s keys are not available')
    try {
      return await keys(header, token)
    } catch (err) {
      // A key the provider rotated in since the last fetch: fetch again, if the cooldown allows.
      if (!(err instanceof errors.JWKSNoMatchingKey) || !this.mayFetch()) throw err
      await this.refresh()
      const fresh = this.keys
      if (!fresh || fresh === keys) throw err
      return fresh(header, token)
    }
  }

  private mayFetch(): boolean {
    return this.options.now() - this.lastAttempt >= this.cooldownMs
  }

  /** Fetches the key set unless the cooldown forbids it; a failure keeps the keys we have. */
  private refresh(): Promise<void> {
    if (this.pending) return this.pending
    const uri = this.uri()
    if (uri === undefined || !this.mayFetch()) return Promise.resolve()
    this.lastAttempt = this.options.now()
    this.fetches += 1
    this.pending = fetch(uri, {
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    })
      .then(async (response) => {
        if (!response.ok) throw new Error(`JWKS fetch answered ${response.status}`)
        const jwks = (await response.json()) as JSONWebKeySet
        this.keys = createLocalJWKSet(jwks)
        this.fetchedAt = this.options.now()
      })
      .catch((err: unknown) => this.options.onFetchError?.(err))
      .finally(() => {
        this.pending = undefined
      })
    return this.pending
  }
}
