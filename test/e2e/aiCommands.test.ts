import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CanvasStateBody } from '../../src/protocol/httpTypes.js'
import { fetchClient, type ApiClient } from '../support/apiClient.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../support/fixtures.js'
import { WsTestClient } from '../support/wsTestClient.js'
import { EditorDriver } from './support/EditorDriver.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'
import { startRestartableServer, type RestartableServer } from './support/restartableServer.js'

// [AI7] The AI command box in the built app, in Chromium: Ctrl+K, a login form made for everyone
// (Bob watches over a WebSocket), its screenshot saved, one undo taking it back; an edit shown
// as a preview, rejected then accepted; an unknown command answered inline with suggestions.

const STEP_TIMEOUT_MS = 60_000
const SCREENSHOT = fileURLToPath(new URL('../../test-output/e2e-ai-login-form.png', import.meta.url))

let server: RestartableServer
let browser: Browser
let api: ApiClient
let alice: TestUser
let bob: TestUser
let canvasId: string
let editor: EditorDriver

async function serverState(): Promise<CanvasStateBody> {
  const res = await api.send<CanvasStateBody>({
    method: 'GET',
    url: `/api/canvases/${canvasId}/state`,
    token: alice.token,
  })
  expect(res.status, res.text).toBe(200)
  return res.body
}

async function ask(command: string): Promise<void> {
  const input = editor.page.getByRole('textbox', { name: 'AI command' })
  await input.fill(command)
  await input.press('Enter')
}

describe('[AI7] the AI command box in Chromium', () => {
  beforeAll(async () => {
    chromiumPath()
    server = await startRestartableServer()
    browser = await launchChromium()
    api = fetchClient(server.baseUrl)
    ;[alice, bob] = await Promise.all([
      registerUser(api, { username: 'Alice' }),
      registerUser(api, { username: 'Bob' }),
    ])
    canvasId = (await createCanvas(api, alice, 'Landing page')).id
    await shareCanvas(api, alice, canvasId, bob, 'editor')
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    context.setDefaultTimeout(20_000)
    await context.addCookies([{ name: 'session', value: alice.token, url: server.baseUrl }])
    editor = new EditorDriver(await context.newPage())
    await editor.page.goto(`${server.baseUrl}/canvas/${canvasId}`)
    await editor.page.locator('[data-testid="connection-status"][data-status="online"]').waitFor()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it(
    '[AI7] when Alice presses Ctrl+K and asks for a login form, then progress, a summary and the quota show, Bob sees the 5+ objects at once, a screenshot is saved, and one Ctrl+Z removes them all',
    async () => {
      const bobSocket = await WsTestClient.connect(server.baseUrl, canvasId, { token: bob.token })
      await editor.page.keyboard.press('Control+k')
      const panel = editor.page.getByTestId('ai-panel')
      await panel.waitFor()
      await expect
        .poll(() => editor.page.getByTestId('ai-quota').textContent())
        .toBe('10 of 10 AI commands left this hour')
      await ask('create a login form')
      await expect
        .poll(() => editor.page.getByTestId('ai-status').textContent(), { timeout: 10_000 })
        .toMatch(/^Created Sign in \(\d+ objects\)/)
      expect(await editor.page.getByTestId('ai-quota').textContent()).toBe(
        '9 of 10 AI commands left this hour',
      )
      const stored = await serverState()
      expect(stored.objects.length).toBeGreaterThanOrEqual(5)
      await expect.poll(() => editor.objectCount()).toBe(stored.objects.length)
      // Bob sees every object of the form (each an object-created frame, from one batch).
      await expect
        .poll(() => bobSocket.received.filter((m) => m.type === 'object-created').length)
        .toBe(stored.objects.length)

      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true })
      await editor.page.screenshot({ path: SCREENSHOT })
      expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000)

      await editor.page.getByRole('textbox', { name: 'AI command' }).press('Escape')
      await editor.page.keyboard.press('Control+z')
      await expect.poll(() => editor.objectCount()).toBe(0)
      await expect.poll(async () => (await serverState()).objects.length).toBe(0)
      bobSocket.close()
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[AI7] when Alice asks to align shapes, then the result shows as a preview, rejecting changes nothing, accepting stores it as one undo step',
    async () => {
      await editor.page.keyboard.press('r')
      await editor.dragWorld({ x: 0, y: 0 }, { x: 80, y: 60 })
      await editor.page.keyboard.press('r')
      await editor.dragWorld({ x: 200, y: 120 }, { x: 280, y: 180 })
      await editor.page.keyboard.press('r')
      await editor.dragWorld({ x: 400, y: 40 }, { x: 480, y: 100 })
      await expect.poll(async () => (await serverState()).objects.length).toBe(3)
      await editor.page.keyboard.press('Control+a')
      await editor.page.keyboard.press('Control+k')
      await ask('align top')
      const preview = editor.page.getByTestId('ai-preview')
      await preview.waitFor()
      expect(await preview.textContent()).toMatch(/Preview: 2 changes/)
      const ys = async () => (await serverState()).objects.map((o) => o.y).sort((a, b) => (a ?? 0) - (b ?? 0))
      const before = await ys()
      await preview.getByRole('button', { name: 'Reject' }).click()
      await expect
        .poll(() => editor.page.getByTestId('ai-status').textContent())
        .toBe('Rejected: nothing changed.')
      expect(await ys()).toEqual(before)

      await ask('align top')
      await preview.waitFor()
      await preview.getByRole('button', { name: 'Accept' }).click()
      await expect.poll(async () => new Set(await ys()).size).toBe(1)
      await editor.page.getByRole('textbox', { name: 'AI command' }).press('Escape')
      await editor.page.keyboard.press('Control+z')
      await expect.poll(ys).toEqual(before)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[AI7] when Alice asks for something the AI cannot do, then the box says so inline with three suggestions, and a suggestion runs with one click',
    async () => {
      await editor.page.keyboard.press('Control+k')
      await ask('bake a cake')
      const error = editor.page.getByTestId('ai-error')
      await error.waitFor()
      expect(await error.textContent()).toMatch(/not one the AI can do/)
      const suggestions = error.getByRole('button')
      expect(await suggestions.count()).toBe(3)
      const count = await editor.objectCount()
      await suggestions.first().click()
      await expect.poll(() => editor.objectCount(), { timeout: 10_000 }).toBeGreaterThan(count)
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[AI7] when a viewer opens the canvas, then there is no AI command box, and Ctrl+K opens none',
    async () => {
      const carol = await registerUser(api, { username: 'Carol' })
      await shareCanvas(api, alice, canvasId, carol, 'viewer')
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      await context.addCookies([{ name: 'session', value: carol.token, url: server.baseUrl }])
      const page = await context.newPage()
      await page.goto(`${server.baseUrl}/canvas/${canvasId}`)
      await page.locator('[data-testid="connection-status"][data-status="online"]').waitFor()
      expect(await page.getByRole('button', { name: /Ask AI/ }).count()).toBe(0)
      await page.keyboard.press('Control+k')
      expect(await page.getByTestId('ai-panel').count()).toBe(0)
      await context.close()
    },
    STEP_TIMEOUT_MS,
  )
})
