import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, WebSocket as PageSocket } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../src/protocol/objects.js'
import { INITIAL_STYLE } from '../../src/web/canvas/tools.js'
import { fetchClient } from '../support/apiClient.js'
import { registerUser, TEST_PASSWORD, uniqueEmail, type TestUser } from '../support/fixtures.js'
import { EditorDriver, type Point, type Rgba } from './support/EditorDriver.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'
import { startRestartableServer, type RestartableServer } from './support/restartableServer.js'

// The web editor end to end (contract "Web app", docs/spec/sync.md): the built app served by the
// built server (a child process on 127.0.0.1, killed and restarted on the same port), driven in
// Debian's Chromium by three people in separate browser contexts: Alice (owner, registered
// through the UI), Bob (editor) and Carol (viewer). The steps share one canvas and run in order.
// Only what a production build exposes is used: data-testid hooks, the DOM, the canvases' pixels,
// IndexedDB, and GET /api/canvases/:id/state with each user's own session.

const STEP_TIMEOUT_MS = 120_000
/** How long a change may take to reach another user's screen (the acceptance bound). */
const LIVE_MS = 2_000
/** Reconnecting after a restart waits for the engine's backoff (500 ms doubling, with jitter). */
const RECONNECT_MS = 45_000
const SCREENSHOT = fileURLToPath(new URL('../../test-output/e2e-editor.png', import.meta.url))

/** INITIAL_STYLE.fill and a swatch of the style panel, as the canvas paints them. */
const DEFAULT_FILL: Rgba = [0xdb, 0xe4, 0xff, 255]
const PINK = '#ffdbdc'
const PINK_RGBA: Rgba = [0xff, 0xdb, 0xdc, 255]

/** What the state endpoint returns for a shape: the geometry is always there. */
type StoredObject = CanvasObject & Required<Pick<CanvasObject, 'x' | 'y' | 'width' | 'height'>>

interface StateBody {
  canvasId: string
  seq: number
  objects: StoredObject[]
}

interface Person {
  name: string
  token: string
  userId: string
  context: BrowserContext
  editor: EditorDriver
}

let server: RestartableServer
let browser: Browser
let bobAccount: TestUser
let carolAccount: TestUser
const people: Person[] = []
let alice: Person
let bob: Person
let carol: Person
let canvasId: string
let canvasUrl: string
let rectId: string
let ellipseId: string

/** The canvas as the server has it, read with `person`'s own session. */
async function stateFor(person: { token: string }): Promise<StateBody> {
  const res = await fetch(`${server.baseUrl}/api/canvases/${canvasId}/state`, {
    headers: { authorization: `Bearer ${person.token}` },
  })
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as StateBody
}

const byId = (state: StateBody, id: string) => state.objects.find((o) => o.id === id)
const center = (o: StoredObject): Point => ({ x: o.x + o.width / 2, y: o.y + o.height / 2 })

const round2 = (n: number) => Math.round(n * 100) / 100
/** Whole page pixels: a drag between them moves objects by whole world units at 100 %. */
const roundPoint = (p: Point): Point => ({ x: Math.round(p.x), y: Math.round(p.y) })

function pick<K extends keyof StoredObject>(o: StoredObject | undefined, ...keys: K[]) {
  if (!o) return undefined
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<StoredObject, K>
}

function remoteCursor(viewer: EditorDriver, userId: string) {
  return viewer.page.locator(`[data-testid="remote-cursor"][data-user-id="${userId}"]`)
}

/** Moves the mouse over the stage to a world point; returns the point the app reports (whole units). */
async function moveMouseTo(driver: EditorDriver, world: Point): Promise<Point> {
  const at = await driver.toScreen(world)
  await driver.page.mouse.move(at.x, at.y, { steps: 4 })
  const v = await driver.viewport()
  return { x: Math.round((at.x - v.originX) / v.scale), y: Math.round((at.y - v.originY) / v.scale) }
}

/** Waits until `viewer` draws `userId`'s cursor at `world` (within a world unit, once its glide ends). */
async function expectCursorAt(viewer: EditorDriver, userId: string, world: Point): Promise<void> {
  await expect
    .poll(
      async () => {
        const shown = await viewer.cursorWorld(userId)
        return shown && Math.hypot(shown.x - world.x, shown.y - world.y) <= 1 ? 'there' : shown
      },
      { timeout: LIVE_MS },
    )
    .toBe('there')
}

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  // Every Playwright wait ends well inside a step's timeout, with the locator in the message.
  context.setDefaultTimeout(20_000)
  return context
}

/** A person registered over the API, signed in by their session cookie. */
async function signedIn(user: TestUser): Promise<Person> {
  const context = await newContext()
  await context.addCookies([{ name: 'session', value: user.token, url: server.baseUrl }])
  const person = {
    name: user.username,
    token: user.token,
    userId: user.id,
    context,
    editor: new EditorDriver(await context.newPage()),
  }
  people.push(person)
  return person
}

async function openCanvas(person: Person): Promise<void> {
  await person.editor.page.goto(canvasUrl)
  await expect.poll(() => person.editor.status(), { timeout: 20_000 }).toBe('online')
}

describe('web editor, end to end in Chromium', () => {
  beforeAll(async () => {
    chromiumPath() // fails with instructions when Chromium is missing
    server = await startRestartableServer()
    browser = await launchChromium()
    const api = fetchClient(server.baseUrl)
    ;[bobAccount, carolAccount] = await Promise.all([
      registerUser(api, { username: 'Bob' }),
      registerUser(api, { username: 'Carol' }),
    ])
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it(
    '[E2E1] when Alice registers through the UI, creates a canvas and shares it in the share dialog then Bob can edit and Carol can view',
    async () => {
      const context = await newContext()
      const editor = new EditorDriver(await context.newPage())
      const page = editor.page
      const email = uniqueEmail('alice')

      await page.goto(`${server.baseUrl}/register`)
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Name').fill('Alice')
      await page.getByLabel('Password').fill(TEST_PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.getByRole('heading', { name: 'My canvases' }).waitFor()
      expect(await page.getByTestId('current-user').textContent()).toBe('Alice')

      const cookie = (await context.cookies(server.baseUrl)).find((c) => c.name === 'session')
      expect(cookie?.httpOnly, 'the session cookie is HttpOnly').toBe(true)
      const session = await fetch(`${server.baseUrl}/api/session`, {
        headers: { authorization: `Bearer ${cookie?.value ?? ''}` },
      })
      const { user } = (await session.json()) as { user: { id: string; email: string; username: string } }
      expect(user).toMatchObject({ email, username: 'Alice' })
      alice = { name: 'Alice', token: cookie?.value ?? '', userId: user.id, context, editor }
      people.push(alice)

      await page.getByRole('button', { name: 'New canvas' }).click()
      await page.getByTestId('canvas-name-dialog').getByLabel('Name').fill('Team board')
      await page.getByRole('button', { name: 'Create canvas' }).click()
      await page.waitForURL(/\/canvas\/[A-Za-z0-9_-]+$/)
      canvasUrl = page.url()
      canvasId = new URL(canvasUrl).pathname.split('/').pop() ?? ''
      await expect.poll(() => editor.status()).toBe('online')
      expect(await page.getByTestId('canvas-name').textContent()).toBe('Team board')

      // Share through the dialog the editor's top bar opens: Bob can edit, Carol can view.
      await page.getByRole('button', { name: 'Share', exact: true }).click()
      const dialog = page.getByTestId('share-dialog')
      await dialog.getByLabel('Email').fill(bobAccount.email)
      await dialog.getByLabel('Role', { exact: true }).selectOption('editor')
      await dialog.getByRole('button', { name: 'Share', exact: true }).click()
      // The same answer for anyone: an invitation, never "no account uses this email" [SHARE1].
      await dialog.getByText(`Invitation sent to ${bobAccount.email}.`, { exact: false }).waitFor()
      await dialog.getByLabel('Email').fill(carolAccount.email)
      await dialog.getByLabel('Role', { exact: true }).selectOption('viewer')
      await dialog.getByRole('button', { name: 'Share', exact: true }).click()
      await dialog.getByText(`Invitation sent to ${carolAccount.email}.`, { exact: false }).waitFor()
      const invited = dialog.getByTestId('invite-list').getByRole('listitem')
      await invited.filter({ hasText: carolAccount.email }).waitFor()
      expect(await invited.filter({ hasText: bobAccount.email }).textContent()).toContain('Can edit')
      expect(await invited.filter({ hasText: carolAccount.email }).textContent()).toContain('Can view')
      expect(await dialog.getByTestId('member-list').getByRole('listitem').count()).toBe(1)
      await dialog.getByRole('button', { name: 'Close' }).click()
      await dialog.waitFor({ state: 'hidden' })

      // Bob and Carol accept from their canvas lists; only then are they members.
      bob = await signedIn(bobAccount)
      const carol = await signedIn(carolAccount)
      for (const person of [bob, carol]) {
        await person.editor.page.goto(server.baseUrl)
        await person.editor.page.getByRole('button', { name: 'Accept the invitation to Team board' }).click()
        await person.editor.page.getByTestId('canvas-card').filter({ hasText: 'Team board' }).waitFor()
      }

      const res = await fetch(`${server.baseUrl}/api/canvases/${canvasId}/members`, {
        headers: { authorization: `Bearer ${alice.token}` },
      })
      const body = (await res.json()) as { members: { userId: string; role: string }[] }
      expect(new Map(body.members.map((m) => [m.userId, m.role]))).toEqual(
        new Map([
          [alice.userId, 'owner'],
          [bobAccount.id, 'editor'],
          [carolAccount.id, 'viewer'],
        ]),
      )

      await openCanvas(bob)
      expect(await bob.editor.page.getByTestId('view-only-badge').count()).toBe(0)
      // Alice sees Bob arrive.
      await alice.editor.page
        .getByTestId('presence-user')
        .and(alice.editor.page.locator(`[data-user-id="${bobAccount.id}"]`))
        .waitFor({ state: 'attached' })
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E2] when Alice draws a rectangle with the toolbar and the mouse then Bob sees it within 2 s',
    async () => {
      const a = alice.editor
      const view = await a.viewport()
      expect(view.scale, 'an empty canvas opens at 100 %').toBe(1)
      const rectangle = a.tool('Rectangle (R)')
      await rectangle.click()
      expect(await rectangle.getAttribute('aria-pressed')).toBe('true')
      expect(await a.stage.getAttribute('data-tool')).toBe('rect')

      const from = roundPoint(await a.toScreen({ x: -300, y: -180 }))
      const to = { x: from.x + 220, y: from.y + 140 }
      await a.drag(from, to)
      const drawnAt = Date.now()
      await expect.poll(() => bob.editor.objectCount(), { timeout: LIVE_MS }).toBe(1)
      const liveMs = Date.now() - drawnAt
      expect(liveMs).toBeLessThan(LIVE_MS)

      expect(await a.objectCount()).toBe(1)
      // After a shape the tool goes back to Select, with the new shape selected.
      expect(await a.stage.getAttribute('data-tool')).toBe('select')
      expect(await a.stage.getAttribute('data-selection-count')).toBe('1')
      expect(await a.tool('Select (V)').getAttribute('aria-pressed')).toBe('true')

      const state = await stateFor(bob)
      expect(state.objects).toHaveLength(1)
      const rect = state.objects[0]!
      rectId = rect.id
      expect(rect).toMatchObject({
        type: 'rect',
        x: round2(from.x - view.originX),
        y: round2(from.y - view.originY),
        width: 220,
        height: 140,
        rotation: 0,
        fill: '#dbe4ff',
        stroke: '#1c2024',
        strokeWidth: 2,
        opacity: 1,
        createdBy: alice.userId,
      })
      // Bob's canvas paints it where it is, in its colour.
      await expect.poll(() => bob.editor.pixelAt(center(rect)), { timeout: LIVE_MS }).toEqual(DEFAULT_FILL)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E3] when Bob drags the rectangle and picks a fill in the style panel then the server and Alice have the new place and colour',
    async () => {
      const b = bob.editor
      const a = alice.editor
      const before = byId(await stateFor(bob), rectId)!
      const from = roundPoint(await b.toScreen(center(before)))
      await b.drag(from, { x: from.x + 300, y: from.y + 200 })
      expect((await b.viewport()).scale).toBe(1)
      await expect
        .poll(async () => pick(byId(await stateFor(alice), rectId), 'x', 'y', 'width', 'height'))
        .toEqual({ x: before.x + 300, y: before.y + 200, width: 220, height: 140 })
      expect(await b.stage.getAttribute('data-selection-count')).toBe('1')

      const fill = b.page.getByTestId('style-panel').getByRole('button', { name: `Fill: ${PINK}` })
      await fill.click()
      expect(await fill.getAttribute('aria-pressed')).toBe('true')
      await expect.poll(async () => byId(await stateFor(alice), rectId)?.fill).toBe(PINK)
      const after = byId(await stateFor(alice), rectId)!
      expect(after).toMatchObject({ x: before.x + 300, y: before.y + 200, fill: PINK, stroke: '#1c2024' })
      expect(after.version).toBeGreaterThan(before.version)

      // Alice's screen: the rectangle is painted pink at its new place and gone from the old one,
      // and her style panel (the rectangle is still selected there) shows Bob's fill.
      await expect.poll(() => a.pixelAt(center(after)), { timeout: LIVE_MS }).toEqual(PINK_RGBA)
      expect(await a.pixelAt(center(before))).toBeUndefined()
      const alicesFill = a.page.getByTestId('style-panel').getByRole('button', { name: `Fill: ${PINK}` })
      await expect.poll(() => alicesFill.getAttribute('aria-pressed')).toBe('true')
    },
    STEP_TIMEOUT_MS,
  )

  it(
    'when Bob picks a fill and clears the selection at once then only the selection took it: the style for new shapes keeps its fill',
    async () => {
      const b = bob.editor
      // The rectangle is still selected on Bob's screen, pink ([E2E3]).
      expect(await b.stage.getAttribute('data-selection-count')).toBe('1')
      const panel = b.page.getByTestId('style-panel')
      await panel.getByRole('button', { name: `Fill: ${PINK}` }).click()
      await b.page.keyboard.press('Escape')
      expect(await b.stage.getAttribute('data-selection-count')).toBe('0')
      // Past the panel's 120 ms pause: a send still pending would land now, on the new-shape style.
      await b.page.waitForTimeout(500)
      expect(await panel.getByRole('heading', { name: 'New shapes' }).count()).toBe(1)
      expect(
        await panel.getByRole('button', { name: `Fill: ${INITIAL_STYLE.fill}` }).getAttribute('aria-pressed'),
      ).toBe('true')
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E4] when Bob draws an ellipse and moves his mouse then Alice sees the ellipse outlined as his selection and his cursor with his name',
    async () => {
      const a = alice.editor
      const b = bob.editor
      const ellipse = b.tool('Ellipse (O)')
      await ellipse.click()
      expect(await b.stage.getAttribute('data-tool')).toBe('ellipse')
      const from = roundPoint(await b.toScreen({ x: -300, y: 60 }))
      await b.drag(from, { x: from.x + 180, y: from.y + 120 })
      await expect.poll(() => a.objectCount(), { timeout: LIVE_MS }).toBe(2)
      const drawn = (await stateFor(alice)).objects.find((o) => o.type === 'ellipse')
      expect(drawn).toMatchObject({ width: 180, height: 120, createdBy: bobAccount.id })
      ellipseId = drawn!.id

      const target = await moveMouseTo(b, { x: -60, y: 240 })
      const cursor = remoteCursor(a, bobAccount.id)
      await cursor.waitFor()
      expect(await cursor.getByTestId('cursor-label').textContent()).toBe('Bob')
      await expectCursorAt(a, bobAccount.id, target)
      // Bob is listed among the people here, and his own cursor is not drawn on his screen.
      expect(
        await a.page.locator(`[data-testid="presence-user"][data-user-id="${bobAccount.id}"]`).count(),
      ).toBe(1)
      expect(await remoteCursor(b, bobAccount.id).count()).toBe(0)
      // Bob's new ellipse is selected on his screen: Alice sees it outlined, Bob not his own.
      await a.page
        .locator(
          `[data-testid="remote-selection"][data-user-id="${bobAccount.id}"][data-object-id="${ellipseId}"]`,
        )
        .waitFor({ timeout: LIVE_MS })
      expect(
        await b.page.locator(`[data-testid="remote-selection"][data-user-id="${bobAccount.id}"]`).count(),
      ).toBe(0)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E5] when Alice moves the rectangle and presses Ctrl+Z then the move is taken back for everyone and Bob’s fill stays',
    async () => {
      const a = alice.editor
      const b = bob.editor
      const before = byId(await stateFor(alice), rectId)!
      const from = roundPoint(await a.toScreen(center(before)))
      await a.drag(from, { x: from.x + 150, y: from.y })
      await expect.poll(async () => byId(await stateFor(bob), rectId)?.x).toBe(before.x + 150)
      const moved = byId(await stateFor(bob), rectId)!
      await expect.poll(() => b.pixelAt(center(moved)), { timeout: LIVE_MS }).toEqual(PINK_RGBA)

      await a.page.keyboard.press('Control+z')
      await expect
        .poll(async () => pick(byId(await stateFor(bob), rectId), 'x', 'y', 'fill'))
        .toEqual({ x: before.x, y: before.y, fill: PINK })
      // Bob's screen follows: back at its place, not at the moved one.
      await expect.poll(() => b.pixelAt(center(before)), { timeout: LIVE_MS }).toEqual(PINK_RGBA)
      await expect.poll(() => b.pixelAt(center(moved)), { timeout: LIVE_MS }).toBeUndefined()
      expect(await a.page.getByRole('button', { name: 'Redo (Ctrl+Shift+Z)' }).isEnabled()).toBe(true)
      await expect.poll(() => a.saved()).toEqual({ saved: 'true', pending: '0' })
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E6] when both pages reload then the session, the objects and the presence are all still there',
    async () => {
      const before = await stateFor(alice)
      expect(before.objects).toHaveLength(2)
      await Promise.all([alice.editor.page.reload(), bob.editor.page.reload()])
      for (const person of [alice, bob]) {
        const e = person.editor
        await expect.poll(() => e.status(), { timeout: 20_000 }).toBe('online')
        expect(e.page.url(), `${person.name} is still signed in, on the canvas`).toBe(canvasUrl)
        expect(await e.objectCount()).toBe(2)
        expect(await e.page.getByTestId('canvas-name').textContent()).toBe('Team board')
        const rect = byId(before, rectId)!
        await expect.poll(() => e.pixelAt(center(rect))).toEqual(PINK_RGBA)
        const ellipse = byId(before, ellipseId)!
        await expect.poll(() => e.pixelAt(center(ellipse))).toEqual(DEFAULT_FILL)
      }
      for (const [viewer, other] of [
        [alice, bob],
        [bob, alice],
      ] as const) {
        await viewer.editor.page
          .locator(`[data-testid="presence-user"][data-user-id="${other.userId}"]`)
          .waitFor({ state: 'attached' })
      }
      expect(await stateFor(alice)).toEqual(before)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E7] when Carol, a viewer, tries the tools, a drag, Delete and Ctrl+Z then nothing changes and nothing is sent',
    async () => {
      carol = await signedIn(carolAccount)
      const c = carol.editor
      const sent: string[] = []
      c.page.on('websocket', (ws: PageSocket) => ws.on('framesent', (f) => sent.push(String(f.payload))))
      await openCanvas(carol)
      await c.page.getByTestId('view-only-badge').waitFor()
      await expect.poll(() => c.objectCount()).toBe(2)
      for (const name of ['Rectangle (R)', 'Ellipse (O)', 'Line (L)', 'Arrow (A)', 'Text (T)', 'Pen (P)'])
        expect(await c.tool(name).isDisabled(), name).toBe(true)
      expect(await c.tool('Select (V)').isEnabled()).toBe(true)
      expect(await c.page.getByRole('button', { name: 'Undo (Ctrl+Z)' }).isDisabled()).toBe(true)
      expect(await c.page.getByTestId('style-panel').count()).toBe(0)
      expect(await c.page.getByRole('button', { name: 'Share', exact: true }).count()).toBe(0)

      const before = await stateFor(carol)
      await c.page.keyboard.press('r')
      expect(await c.stage.getAttribute('data-tool')).toBe('select')
      const rect = byId(before, rectId)!
      const from = roundPoint(await c.toScreen(center(rect)))
      await c.drag(from, { x: from.x + 150, y: from.y + 100 })
      // A viewer's drag pans the view; then a click on the rectangle, and the editing keys.
      const at = roundPoint(await c.toScreen(center(rect)))
      await c.page.mouse.click(at.x, at.y)
      expect(await c.stage.getAttribute('data-selection-count')).toBe('0')
      for (const key of ['Delete', 'Backspace', 'Control+z', 'Control+Shift+z', 'Control+d', 'ArrowRight'])
        await c.page.keyboard.press(key)

      // Barrier: a cursor move made after all that, seen by Alice at its place, has been through
      // the server after anything Carol's socket sent before it.
      const target = await moveMouseTo(c, { x: 140, y: 260 })
      await expectCursorAt(alice.editor, carolAccount.id, target)
      const types = sent.map((frame) => (JSON.parse(frame) as { type: string }).type)
      expect(types).toContain('cursor')
      // Presence only: where she points and what she sees (a viewer can be followed too).
      expect(types.filter((t) => !['auth', 'cursor', 'viewport', 'ping'].includes(t))).toEqual([])
      expect(await stateFor(carol)).toEqual(before)
      expect(await c.objectCount()).toBe(2)
      expect(await c.saved()).toEqual({ saved: 'true', pending: '0' })
      expect(await alice.editor.objectCount()).toBe(2)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E8] when the server is killed then the pages show it, keep edits made meanwhile (one across a reload, in IndexedDB) and deliver them once it is back',
    async () => {
      const a = alice.editor
      const b = bob.editor
      const before = await stateFor(alice)
      await server.kill()
      for (const person of [alice, bob, carol]) {
        await expect
          .poll(() => person.editor.status(), { timeout: 10_000 })
          .toMatch(/^(offline|reconnecting)$/)
      }
      await a.page.getByRole('alert').filter({ hasText: 'offline' }).waitFor()

      // Alice draws while the server is down: shown at once, kept, not saved.
      await a.tool('Rectangle (R)').click()
      const from = roundPoint(await a.toScreen({ x: -260, y: 240 }))
      await a.drag(from, { x: from.x + 140, y: from.y + 90 })
      expect(await a.objectCount()).toBe(3)
      await expect.poll(() => a.saved()).toEqual({ saved: 'false', pending: '1' })

      // So does Bob, who then reloads the page: it cannot load while the server is down.
      await b.tool('Ellipse (O)').click()
      const bFrom = roundPoint(await b.toScreen({ x: 120, y: 260 }))
      await b.drag(bFrom, { x: bFrom.x + 160, y: bFrom.y + 90 })
      expect(await b.objectCount()).toBe(3)
      await expect.poll(() => b.saved()).toEqual({ saved: 'false', pending: '1' })
      await expect.poll(() => b.storedOps(canvasId)).toBe(1)
      await expect(b.page.reload()).rejects.toThrow(/ERR_CONNECTION_REFUSED/)

      await server.restart()
      // Alice's page reconnects by itself and sends her edit: the server and Carol get it.
      await expect.poll(() => a.status(), { timeout: RECONNECT_MS }).toBe('online')
      await expect.poll(() => a.saved(), { timeout: 10_000 }).toEqual({ saved: 'true', pending: '0' })
      const afterAlice = await stateFor(alice)
      const known = new Set(before.objects.map((o) => o.id))
      const alicesOffline = afterAlice.objects.filter((o) => !known.has(o.id) && o.createdBy === alice.userId)
      expect(alicesOffline).toHaveLength(1)
      expect(alicesOffline[0]).toMatchObject({
        type: 'rect',
        width: 140,
        height: 90,
        createdBy: alice.userId,
      })
      await expect.poll(() => carol.editor.status(), { timeout: RECONNECT_MS }).toBe('online')
      // Carol's screen paints it. (Not a count: Chromium may reload Bob's error page by itself
      // once the server answers, and Bob's edit may come in too.)
      await expect
        .poll(() => carol.editor.pixelAt(center(alicesOffline[0]!)), { timeout: LIVE_MS })
        .toEqual(DEFAULT_FILL)
      expect(await carol.editor.objectCount()).toBeGreaterThanOrEqual(3)

      // Bob opens the canvas again: the edit kept in IndexedDB goes out, once, and reaches Alice.
      await openCanvas(bob)
      await expect.poll(async () => (await stateFor(bob)).objects.length, { timeout: 10_000 }).toBe(4)
      const bobsOffline = (await stateFor(bob)).objects.filter(
        (o) => !known.has(o.id) && o.createdBy === bobAccount.id,
      )
      expect(bobsOffline).toHaveLength(1)
      expect(bobsOffline[0]).toMatchObject({
        type: 'ellipse',
        width: 160,
        height: 90,
        createdBy: bobAccount.id,
      })
      await expect.poll(() => a.objectCount(), { timeout: LIVE_MS }).toBe(4)
      await expect.poll(() => carol.editor.objectCount(), { timeout: LIVE_MS }).toBe(4)
      await expect.poll(() => b.saved()).toEqual({ saved: 'true', pending: '0' })
      await expect.poll(() => b.storedOps(canvasId)).toBe(0)
      expect(await b.objectCount()).toBe(4)
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[E2E9] the editor with two people’s shapes and cursors looks like a product (test-output/e2e-editor.png)',
    async () => {
      const a = alice.editor
      const bobAt = await moveMouseTo(bob.editor, { x: 250, y: 330 })
      const carolAt = await moveMouseTo(carol.editor, { x: 170, y: 130 })
      await expectCursorAt(a, bobAccount.id, bobAt)
      await expectCursorAt(a, carolAccount.id, carolAt)
      const labels = await a.page.getByTestId('cursor-label').allTextContents()
      expect(labels.sort()).toEqual(['Bob', 'Carol'])
      expect(await a.page.getByTestId('presence-user').count()).toBe(3)
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true })
      await a.page.screenshot({ path: SCREENSHOT })
      expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000)
      for (const person of people) expect(person.editor.pageErrors, person.name).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )
})
