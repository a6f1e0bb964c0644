import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchClient, type ApiClient } from '../support/apiClient.js'
import { runCli } from '../support/cli.js'
import { registerUser, type TestUser } from '../support/fixtures.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'
import { startRestartableServer, type RestartableServer } from './support/restartableServer.js'

// [KEYS1] API keys in the browser: a signed-in user creates a key from the canvas list, sees it
// once and copies it, finds it listed by prefix with its tier and last use, and revokes it.

const STEP_TIMEOUT_MS = 90_000

let server: RestartableServer
let browser: Browser
let api: ApiClient
let alice: TestUser
let page: Page

describe('[KEYS1] API keys in Chromium', () => {
  beforeAll(async () => {
    chromiumPath()
    server = await startRestartableServer()
    browser = await launchChromium()
    api = fetchClient(server.baseUrl)
    alice = await registerUser(api, { username: 'Alice' })
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    context.setDefaultTimeout(20_000)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl })
    await context.addCookies([{ name: 'session', value: alice.token, url: server.baseUrl }])
    page = await context.newPage()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it(
    '[KEYS1] when Alice creates a key from the canvas list, then it is shown once, copies, works, and the list shows its prefix, tier and last use without the key',
    async () => {
      await page.goto(server.baseUrl)
      await page.getByRole('link', { name: 'API keys' }).click()
      await page.waitForURL(`${server.baseUrl}/settings/api-keys`)
      await page.getByTestId('api-keys-empty').waitFor()

      // A name is required; nothing is created without one.
      await page.getByRole('button', { name: 'Create key' }).click()
      await page.getByText('Enter a name').waitFor()
      expect(
        (await api.send<{ keys: unknown[] }>({ method: 'GET', url: '/api/keys', token: alice.token })).body
          .keys,
      ).toEqual([])

      await page.getByLabel('Key name').fill('Zapier: form answers')
      await page.getByRole('button', { name: 'Create key' }).click()
      const value = page.getByTestId('new-api-key-value')
      await value.waitFor()
      const apiKey = await value.inputValue()
      expect(apiKey).toMatch(/^cck_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/)
      await page.getByTestId('new-api-key').getByRole('button', { name: 'Copy' }).click()
      await page.getByRole('button', { name: 'Copied' }).waitFor()
      expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(apiKey)

      const row = page.getByTestId('api-key').filter({ hasText: 'Zapier: form answers' })
      await row.waitFor()
      expect(await row.textContent()).toContain(`${apiKey.slice(0, 12)}…`)
      expect(await row.textContent()).toContain('never used')
      expect(await row.getByTestId('api-key-tier').textContent()).toBe('Free · 10/min')

      // The key works; the operator raises its tier; a reload shows both, and never the key again.
      const used = await api.send({ method: 'GET', url: '/api/inbox', headers: { 'x-api-key': apiKey } })
      expect(used.status, used.text).toBe(200)
      const tier = await runCli(['keys', 'set-tier', apiKey.slice(0, 12), 'starter'], {
        DATA_DIR: server.dataDir,
        LOG_LEVEL: 'silent',
      })
      expect(tier.code, tier.stderr).toBe(0)
      await page.getByRole('button', { name: 'Done' }).click()
      await page.reload()
      await row.waitFor()
      expect(await row.textContent()).toContain('last used just now')
      expect(await row.getByTestId('api-key-tier').textContent()).toBe('Starter · 60/min')
      expect(await page.content()).not.toContain(apiKey)
      expect(await page.getByTestId('new-api-key').count()).toBe(0)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[KEYS1] when Alice revokes a key, then it leaves the list and gets 401 at once; her other key still works',
    async () => {
      await page.goto(`${server.baseUrl}/settings/api-keys`)
      const make = async (name: string) => {
        await page.getByLabel('Key name').fill(name)
        await page.getByRole('button', { name: 'Create key' }).click()
        await page.getByTestId('new-api-key').filter({ hasText: name }).waitFor()
        const key = await page.getByTestId('new-api-key-value').inputValue()
        await page.getByRole('button', { name: 'Done' }).click()
        return key
      }
      const oldKey = await make('Old Make scenario')
      const keep = await make('n8n workflow')

      await page.getByRole('button', { name: 'Revoke Old Make scenario' }).click()
      const dialog = page.getByTestId('revoke-api-key-dialog')
      expect(await dialog.textContent()).toContain(oldKey.slice(0, 12))
      await dialog.getByRole('button', { name: 'Revoke key' }).click()
      await page
        .getByTestId('api-key')
        .filter({ hasText: 'Old Make scenario' })
        .waitFor({ state: 'detached' })
      await page.getByTestId('api-key').filter({ hasText: 'n8n workflow' }).waitFor()

      const inbox = (key: string) =>
        api.send({ method: 'GET', url: '/api/inbox', headers: { 'x-api-key': key } })
      expect((await inbox(oldKey)).status).toBe(401)
      expect((await inbox(keep)).status).toBe(200)
      await page.reload()
      await page.getByTestId('api-key').filter({ hasText: 'n8n workflow' }).waitFor()
      expect(await page.getByTestId('api-key').filter({ hasText: 'Old Make scenario' }).count()).toBe(0)
    },
    STEP_TIMEOUT_MS,
  )
})
