const MAX_RETURN_TO = 2048

/**
 * Where to send the browser after signing in: a path of this site only. Anything else (an
 * absolute URL, `//evil.example`, `/\evil.example`, which browsers read as another host, control
 * characters) becomes `fallback`, so /auth/login is never an open redirect [J2].
 */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return fallback
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\p{Cc}]/u.test(value)) return fallback
  const base = 'http://same.invalid'
  let url: URL
  try {
    url = new URL(value, base)
  } catch {
    return fallback
  }
  if (url.origin !== base) return fallback
  return `${url.pathname}${url.search}${url.hash}`
}
