/**
 * What `?sso_error=` means after a single sign-on attempt (src/server/routes/oidcRoutes.ts):
 * each explains what happened and what to do next.
 */
export function ssoErrorMessage(code: string | null, provider: string): string | undefined {
  switch (code) {
    case null:
      return undefined
    case 'email_in_use':
      return `An account with the email of your ${provider} account already exists. Sign in with your email and password, then link ${provider} from Account settings.`
    case 'email_unverified':
      return `${provider} did not confirm an email address for your account, so no account could be created. Verify your email with ${provider} and try again.`
    case 'identity_taken':
      return `That ${provider} account is already linked to another CollabCanvas account.`
    case 'unavailable':
      return `${provider} cannot be reached right now. Try again in a minute.`
    case 'cancelled':
      return `Signing in with ${provider} was cancelled.`
    default:
      return `Signing in with ${provider} did not work. Please try again.`
  }
}

/** The `sso_error` of the current address, if any. */
export function currentSsoError(): string | null {
  return new URLSearchParams(location.search).get('sso_error')
}
