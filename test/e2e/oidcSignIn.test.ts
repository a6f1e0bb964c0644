import fs from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEB_ROOT } from '../../src/server/plugins/webApp.js'
import { registerUser } from '../support/fixtures.js'
import { startOidcSetup } from '../support/oidcFixtures.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'

// [OIDC] Single sign-on in Chromium: the SSO button on the sign-in page, the local OpenID
// provider's own login page (oidc-provider, on 127.0.0.1), back through /auth/callback into the
// canvas list; the account page then lists the linked identity.

const STEP_TIMEOUT_MS = 90_000
let browser: Browser

describe('[OIDC] single sign-on in Chromium', () => {
  beforeAll(async () => {
    chromiumPath()
    if (!fs.existsSync(`${WEB_ROOT}/index.html`)) {
      throw new Error(`the web app is not built at ${WEB_ROOT}: run npm run build (or npx vite build)`)
    }
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
  })

  it(
    '[OIDC] when a signed-out person clicks "Continue with Test IdP" and signs in on the provider\u2019s page then they land in their canvas list, Account settings shows the linked identity, and signing out goes through the provider\u2019s end-session page',
    async () => {
      const setup = await startOidcSetup({ server: { webRoot: WEB_ROOT } })
      setup.idp.account('grace', { email: 'grace@example.test', email_verified: true, name: 'Grace Hopper' })
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      context.setDefaultTimeout(20_000)
      const page = await context.newPage()

      await page.goto(setup.server.baseUrl)
      await page.waitForURL(/\/signin$/)
      await page.getByRole('link', { name: 'Continue with Test IdP' }).click()

      // The provider's login page (oidc-provider's development interaction).
      await page.waitForURL((url) => url.href.startsWith(`${setup.idp.issuer}/interaction/`))
      await page.locator('input[name="login"]').fill('grace')
      await page.locator('input[name="password"]').fill('any password')
      await page.getByRole('button', { name: 'Sign-in' }).click()

      await page.waitForURL(`${setup.server.baseUrl}/`)
      await page.getByRole('heading', { name: 'My canvases' }).waitFor()
      expect(await page.getByTestId('current-user').textContent()).toBe('Grace Hopper')

      await page.getByRole('link', { name: 'Account' }).click()
      await page.getByRole('heading', { name: 'Account settings' }).waitFor()
      const identity = page.getByTestId('linked-identity')
      await identity.waitFor()
      expect(await identity.textContent()).toContain('grace@example.test')
      // The only way in: the page does not offer to remove it.
      expect(await identity.getByRole('button', { name: 'Unlink' }).isDisabled()).toBe(true)

      // Signing out ends our session and the provider's (its end-session page), back to sign-in.
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.waitForURL((url) => url.href.startsWith(`${setup.idp.issuer}/session/end`))
      await page.getByRole('button', { name: 'Yes, sign me out' }).click()
      await page.waitForURL(`${setup.server.baseUrl}/signin`)
      await page.getByRole('link', { name: 'Continue with Test IdP' }).waitFor()
      expect((await context.cookies(setup.server.baseUrl)).find((c) => c.name === 'session')).toBeUndefined()
      await context.close()
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[OIDC] when the provider reports the email of an existing password account then no one is signed in or linked and the sign-in page says to sign in with the password and link from Account settings',
    async () => {
      const setup = await startOidcSetup({ server: { webRoot: WEB_ROOT } })
      const owner = await registerUser(setup.server.http, { email: 'ada@example.test', username: 'Ada' })
      setup.idp.account('ada-idp', { email: 'ada@example.test', email_verified: true, name: 'Not Ada' })
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      context.setDefaultTimeout(20_000)
      const page = await context.newPage()

      await page.goto(`${setup.server.baseUrl}/signin`)
      await page.getByRole('link', { name: 'Continue with Test IdP' }).click()
      await page.waitForURL((url) => url.href.startsWith(`${setup.idp.issuer}/interaction/`))
      await page.locator('input[name="login"]').fill('ada-idp')
      await page.locator('input[name="password"]').fill('any password')
      await page.getByRole('button', { name: 'Sign-in' }).click()

      await page.waitForURL(
        (url) => url.pathname === '/signin' && url.searchParams.get('sso_error') === 'email_in_use',
      )
      await page.getByText('An account with the email of your Test IdP account already exists').waitFor()
      expect((await context.cookies(setup.server.baseUrl)).find((c) => c.name === 'session')).toBeUndefined()
      expect(await setup.server.deps.identities.listForUser(owner.id)).toEqual([])
      await context.close()
    },
    STEP_TIMEOUT_MS,
  )
})
