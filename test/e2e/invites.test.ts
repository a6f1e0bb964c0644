import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchClient, type ApiClient } from '../support/apiClient.js'
import { createCanvas, registerUser, TEST_PASSWORD, uniqueEmail, type TestUser } from '../support/fixtures.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'
import { startRestartableServer, type RestartableServer } from './support/restartableServer.js'

// [SHARE1] Sharing in the browser: a share link joins whoever opens it with its role until the
// owner revokes it; an email without an account gets the same answer as any other, and the
// invitation applies when that person registers.

const STEP_TIMEOUT_MS = 90_000

let server: RestartableServer
let browser: Browser
let api: ApiClient
let alice: TestUser
let canvasId: string
let owner: Page

async function newPage(user?: TestUser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  context.setDefaultTimeout(20_000)
  if (user) await context.addCookies([{ name: 'session', value: user.token, url: server.baseUrl }])
  return { context, page: await context.newPage() }
}

async function openShareDialog() {
  await owner.goto(server.baseUrl)
  await owner.getByRole('button', { name: 'Share Launch plan' }).click()
  return owner.getByTestId('share-dialog')
}

async function registerThroughUi(page: Page, email: string, name: string) {
  await page.getByRole('link', { name: 'Create an account' }).click()
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Password').fill(TEST_PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
}

describe('[SHARE1] invitations in Chromium', () => {
  beforeAll(async () => {
    chromiumPath()
    server = await startRestartableServer()
    browser = await launchChromium()
    api = fetchClient(server.baseUrl)
    alice = await registerUser(api, { username: 'Alice' })
    canvasId = (await createCanvas(api, alice, 'Launch plan')).id
    owner = (await newPage(alice)).page
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it(
    '[SHARE1] when a signed-out person opens an editor share link, registers and lands in the canvas as an editor; after Alice revokes it the link is refused',
    async () => {
      const dialog = await openShareDialog()
      await dialog.getByLabel('Link role').selectOption('editor')
      await dialog.getByRole('button', { name: 'Create link' }).click()
      const address = await dialog.getByLabel('Share link address').inputValue()
      expect(address).toMatch(new RegExp(`^${server.baseUrl}/join/[A-Za-z0-9_-]{43}$`))

      const guest = await newPage()
      await guest.page.goto(address)
      await guest.page.waitForURL(/\/signin\?next=/)
      await registerThroughUi(guest.page, uniqueEmail('guest'), 'Guest')
      await guest.page.waitForURL(`${server.baseUrl}/canvas/${canvasId}`)
      await guest.page.locator('[data-testid="connection-status"][data-status="online"]').waitFor()
      expect(await guest.page.getByTestId('canvas-name').textContent()).toBe('Launch plan')
      expect(await guest.page.getByTestId('view-only-badge').count()).toBe(0)

      await dialog.getByRole('button', { name: 'Revoke the share link' }).click()
      await dialog.getByText('The link no longer works.').waitFor()
      const late = await newPage(await registerUser(api, { username: 'Late' }))
      await late.page.goto(address)
      await late.page.getByTestId('join-failed').waitFor()
      expect(await late.page.getByRole('alert').textContent()).toContain('revoked it, or it expired')
      await dialog.getByRole('button', { name: 'Close' }).click()
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[SHARE1] when Alice invites an email with an account and one without, the dialog answers the same; the newcomer registers and finds the canvas',
    async () => {
      const known = await registerUser(api, { username: 'Known' })
      const unknownEmail = uniqueEmail('newcomer')
      const dialog = await openShareDialog()
      const notices: string[] = []
      for (const email of [known.email, unknownEmail]) {
        await dialog.getByLabel('Email').fill(email)
        await dialog.getByLabel('Role', { exact: true }).selectOption('viewer')
        await dialog.getByRole('button', { name: 'Share', exact: true }).click()
        const notice = dialog.getByText(`Invitation sent to ${email}.`, { exact: false })
        await notice.waitFor()
        notices.push(((await notice.textContent()) ?? '').replace(email, '<email>'))
      }
      expect(notices[0]).toBe(notices[1])
      expect(await dialog.getByRole('alert').count()).toBe(0)

      const newcomer = await newPage()
      await newcomer.page.goto(server.baseUrl)
      await newcomer.page.waitForURL(/\/signin/)
      await registerThroughUi(newcomer.page, unknownEmail, 'Newcomer')
      await newcomer.page.getByTestId('canvas-card').filter({ hasText: 'Launch plan' }).waitFor()
      const card = newcomer.page.getByTestId('canvas-card').filter({ hasText: 'Launch plan' })
      expect(await card.textContent()).toContain('Can view')
      expect(await card.getAttribute('data-canvas-id')).toBe(canvasId)
    },
    STEP_TIMEOUT_MS,
  )
})
