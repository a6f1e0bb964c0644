import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CanvasBody, CanvasStateBody, MemberBody } from '../../src/protocol/httpTypes.js'
import type { MemberRole } from '../../src/protocol/roles.js'
import { fetchClient, type ApiClient } from '../support/apiClient.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../support/fixtures.js'
import { EditorDriver } from './support/EditorDriver.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'
import { startRestartableServer, type RestartableServer } from './support/restartableServer.js'

// Changes the owner makes over HTTP reach an editor that is open, live, without a reload
// (docs/spec/sync.md SYNC23, SYNC33, SYNC34): the built app and the built server, Bob in Chromium,
// Alice (the owner) through the API. The steps share one canvas and run in order.

const STEP_TIMEOUT_MS = 60_000
/** How long a change may take to reach another user's screen (as in editor.test.ts). */
const LIVE_MS = 2_000

let server: RestartableServer
let browser: Browser
let api: ApiClient
let alice: TestUser
let bob: TestUser
let canvasId: string
let editor: EditorDriver

/** Set in the page once: still there later means the page was never reloaded. */
async function markPage(): Promise<void> {
  await editor.page.evaluate(() => Object.assign(globalThis, { e2eMarker: 'not reloaded' }))
}
async function pageMark(): Promise<unknown> {
  return editor.page.evaluate(() => (globalThis as { e2eMarker?: unknown }).e2eMarker)
}

async function setBobsRole(role: MemberRole): Promise<void> {
  const res = await api.send<MemberBody>({
    method: 'POST',
    url: `/api/canvases/${canvasId}/members`,
    token: alice.token,
    json: { email: bob.email, role },
  })
  expect(res.status, res.text).toBe(200)
  expect(res.body.member.role).toBe(role)
}

async function serverState(): Promise<CanvasStateBody> {
  const res = await api.send<CanvasStateBody>({
    method: 'GET',
    url: `/api/canvases/${canvasId}/state`,
    token: alice.token,
  })
  expect(res.status, res.text).toBe(200)
  return res.body
}

describe('web editor: canvas changes made over HTTP reach an open editor live', () => {
  beforeAll(async () => {
    chromiumPath() // fails with instructions when Chromium is missing
    server = await startRestartableServer()
    browser = await launchChromium()
    api = fetchClient(server.baseUrl)
    ;[alice, bob] = await Promise.all([
      registerUser(api, { username: 'Alice' }),
      registerUser(api, { username: 'Bob' }),
    ])
    canvasId = (await createCanvas(api, alice, 'Roadmap')).id
    await shareCanvas(api, alice, canvasId, bob, 'editor')

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    context.setDefaultTimeout(20_000)
    await context.addCookies([{ name: 'session', value: bob.token, url: server.baseUrl }])
    editor = new EditorDriver(await context.newPage())
    await editor.page.goto(`${server.baseUrl}/canvas/${canvasId}`)
    await editor.page.locator('[data-testid="connection-status"][data-status="online"]').waitFor()
    expect(await editor.page.getByTestId('canvas-name').textContent()).toBe('Roadmap')
    await markPage()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it(
    '[E2E10] [SYNC34] when Alice renames the canvas over the API then Bob’s title and tab title change without a reload',
    async () => {
      const res = await api.send<CanvasBody>({
        method: 'PATCH',
        url: `/api/canvases/${canvasId}`,
        token: alice.token,
        json: { name: 'Roadmap 2027' },
      })
      expect(res.status, res.text).toBe(200)
      const name = editor.page.getByTestId('canvas-name')
      await expect.poll(() => name.textContent(), { timeout: LIVE_MS }).toBe('Roadmap 2027')
      expect(await editor.page.title()).toBe('Roadmap 2027 · CollabCanvas')
      expect(await editor.status()).toBe('online')
      expect(await pageMark()).toBe('not reloaded')
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E11] [SYNC33] when Alice makes Bob a viewer then his editor turns read-only at once, and editable again when she makes him an editor',
    async () => {
      const page = editor.page
      const rectangle = editor.tool('Rectangle (R)')
      expect(await rectangle.isEnabled()).toBe(true)
      expect(await page.getByTestId('view-only-badge').count()).toBe(0)

      await setBobsRole('viewer')
      await page.getByTestId('view-only-badge').waitFor({ timeout: LIVE_MS })
      expect(await rectangle.isDisabled()).toBe(true)
      expect(await page.getByTestId('style-panel').count()).toBe(0)
      expect(await page.getByRole('button', { name: 'Undo (Ctrl+Z)' }).isDisabled()).toBe(true)
      await page.keyboard.press('r')
      expect(await editor.stage.getAttribute('data-tool')).toBe('select')
      expect(await editor.status()).toBe('online')

      await setBobsRole('editor')
      await page.getByTestId('view-only-badge').waitFor({ state: 'detached', timeout: LIVE_MS })
      expect(await rectangle.isEnabled()).toBe(true)
      expect(await pageMark()).toBe('not reloaded')

      // And he can edit again: a rectangle he draws reaches the server.
      await rectangle.click()
      const from = await editor.toScreen({ x: -100, y: -80 })
      await editor.drag(
        { x: Math.round(from.x), y: Math.round(from.y) },
        { x: Math.round(from.x) + 120, y: Math.round(from.y) + 80 },
      )
      await expect.poll(async () => (await serverState()).objects.length).toBe(1)
      await expect.poll(() => editor.saved()).toEqual({ saved: 'true', pending: '0' })
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E12] [SYNC23] when Alice deletes the canvas then Bob sees "This canvas was deleted" with a way back, not a connected editor',
    async () => {
      const page = editor.page
      const res = await api.send({ method: 'DELETE', url: `/api/canvases/${canvasId}`, token: alice.token })
      expect(res.status, res.text).toBe(204)
      const deleted = page.getByTestId('canvas-deleted')
      await deleted.waitFor({ timeout: LIVE_MS })
      expect(await deleted.getByRole('heading').textContent()).toBe('This canvas was deleted')
      expect(await deleted.textContent()).toContain('“Roadmap 2027” was deleted')
      expect(await page.getByTestId('connection-status').count()).toBe(0)
      expect(await page.getByTestId('canvas-stage').count()).toBe(0)
      expect(await pageMark()).toBe('not reloaded')

      await deleted.getByRole('link', { name: 'Back to my canvases' }).click()
      await page.getByRole('heading', { name: 'My canvases' }).waitFor()
      expect(await page.getByText('Roadmap 2027').count()).toBe(0)
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )
})
