import type { BrowserContextOptions, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewObject } from '../../src/protocol/objects.js'
import type { TestUser } from '../support/fixtures.js'
import { EditorDriver, type PageViewport, type Point } from './support/EditorDriver.js'
import { afterFrames, EditorFixture, screenshot } from './support/editorFixture.js'

// Issue 28, "Comfort", in Chromium against the built server: following a collaborator's view
// (two people), zoom to the selection and the minimap, the dark theme, and the phone-sized touch
// layout. Each test makes its own canvas; the stored state is read back over HTTP.

const STEP_TIMEOUT_MS = 90_000
/** A change reaches the other user's screen within this (the rest of the suite uses the same). */
const LIVE_MS = 2_000
const DESKTOP = { viewport: { width: 1280, height: 800 } }

/** The `viewports` each page received over its socket: [userId, width] pairs, in order. */
const viewportsSeen = new WeakMap<Page, [string, number][]>()

let fx: EditorFixture
let alice: TestUser
let bob: TestUser

const stateOf = (canvasId: string) => fx.objectsOf(canvasId)
/** A canvas of Alice's that Bob edits, holding `objects`. */
const canvasWith = (name: string, objects: NewObject[]) => fx.canvasWith(name, objects)

/** The editor as `user`, recording the viewports its socket is told of (viewportsSeen). */
async function openEditor(
  user: TestUser,
  canvasId: string,
  options: BrowserContextOptions = DESKTOP,
): Promise<EditorDriver> {
  const page = await fx.pageFor(user, { context: options })
  const seen: [string, number][] = []
  viewportsSeen.set(page, seen)
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      const frame = JSON.parse(String(payload)) as { type: string; messages?: unknown[] }
      for (const m of (frame.type === 'batch' ? frame.messages : [frame]) as ViewportsFrame[])
        if (m.type === 'viewports') for (const v of m.viewports) seen.push([v.userId, v.width])
    }),
  )
  const editor = new EditorDriver(page)
  await editor.page.goto(`${fx.server.baseUrl}/canvas/${canvasId}`)
  await expect.poll(() => editor.status(), { timeout: 20_000 }).toBe('online')
  return editor
}

interface ViewportsFrame {
  type: string
  viewports: { userId: string; width: number }[]
}

/** Resolves once `page` has been told of a viewport of `user` whose width passes `test`. */
async function toldOfViewport(page: Page, user: TestUser, test: (width: number) => boolean): Promise<void> {
  await expect
    .poll(() => (viewportsSeen.get(page) ?? []).some(([id, width]) => id === user.id && test(width)), {
      timeout: LIVE_MS,
    })
    .toBe(true)
}

/** The world point at the middle of the stage. */
async function centreOf(editor: EditorDriver): Promise<Point> {
  const box = await editor.stage.boundingBox()
  if (!box) throw new Error('no stage')
  const v = await editor.viewport()
  return {
    x: (box.x + box.width / 2 - v.originX) / v.scale,
    y: (box.y + box.height / 2 - v.originY) / v.scale,
  }
}

/** Two views show the same part of the canvas (same-sized screens): same zoom, same centre. */
async function sameView(a: EditorDriver, b: EditorDriver): Promise<string> {
  const [va, vb] = [await a.viewport(), await b.viewport()]
  const [ca, cb] = [await centreOf(a), await centreOf(b)]
  const close = Math.abs(va.scale - vb.scale) < 0.002 && Math.hypot(ca.x - cb.x, ca.y - cb.y) < 2 / va.scale
  return close ? 'same' : `different: ${viewText(va, ca)} vs ${viewText(vb, cb)}`
}
const viewText = (v: PageViewport, c: Point) =>
  `zoom ${v.scale.toFixed(3)} centre ${c.x.toFixed(1)},${c.y.toFixed(1)}`

const rect = (id: string, x: number, y: number, fill = '#dbe4ff'): NewObject => ({
  id,
  type: 'rect',
  x,
  y,
  width: 160,
  height: 100,
  fill,
  stroke: '#3e63dd',
  strokeWidth: 2,
})

describe('[ED-F] comfort in Chromium: follow, minimap, dark theme, phone', () => {
  beforeAll(async () => {
    fx = await EditorFixture.start(['Alice', 'Bob'])
    ;[alice, bob] = fx.users as [TestUser, TestUser]
  }, 60_000)

  afterAll(async () => {
    await fx?.close()
  })

  it(
    '[ED-F1] when Bob clicks Alice’s avatar then his view follows her pans and zooms, saying so, until he presses Escape or pans himself',
    async () => {
      const canvasId = await canvasWith('Follow', [rect('a', 0, 0), rect('b', 900, 500, '#ffdbdc')])
      const aliceSees = await openEditor(alice, canvasId)
      const bobSees = await openEditor(bob, canvasId)
      const follow = bobSees.page.getByRole('button', { name: 'Follow Alice' })
      await follow.click()
      const indicator = bobSees.page.getByTestId('following-indicator')
      await expect.poll(() => indicator.textContent()).toContain('Following Alice')
      expect(await follow.getAttribute('aria-pressed')).toBe('true')
      await expect.poll(() => sameView(aliceSees, bobSees), { timeout: LIVE_MS }).toBe('same')

      // Alice zooms in and pans: Bob's view goes with hers.
      await aliceSees.page.keyboard.press('Control+Equal')
      await aliceSees.page.keyboard.press('Control+Equal')
      const stage = await aliceSees.stage.boundingBox()
      if (!stage) throw new Error('no stage')
      await aliceSees.page.mouse.move(stage.x + 300, stage.y + 300)
      await aliceSees.page.mouse.wheel(240, 180)
      await expect.poll(() => sameView(aliceSees, bobSees), { timeout: LIVE_MS }).toBe('same')
      await screenshot(bobSees.page, 'e2e-editor-following.png')

      // Escape: Bob stays where he is while Alice moves on.
      await bobSees.page.keyboard.press('Escape')
      await expect.poll(() => indicator.count()).toBe(0)
      const bobZoom = (await bobSees.viewport()).scale
      const aliceWidth = (await aliceSees.stage.boundingBox())?.width ?? 0
      await aliceSees.page.keyboard.press('Control+Minus')
      await expect.poll(async () => (await aliceSees.viewport()).scale).toBeLessThan(bobZoom - 0.01)
      // Bob's page has been told of her wider view, and drew since: his view stayed.
      const zoomedOut = aliceWidth / (await aliceSees.viewport()).scale
      await toldOfViewport(bobSees.page, alice, (width) => Math.abs(width - zoomedOut) < 1)
      await afterFrames(bobSees.page)
      expect((await bobSees.viewport()).scale).toBeCloseTo(bobZoom, 3)

      // Following again, then panning himself: he stops following.
      await follow.click()
      await expect.poll(() => sameView(aliceSees, bobSees), { timeout: LIVE_MS }).toBe('same')
      const bobStage = await bobSees.stage.boundingBox()
      if (!bobStage) throw new Error('no stage')
      await bobSees.page.mouse.move(bobStage.x + 200, bobStage.y + 200)
      await bobSees.page.mouse.wheel(0, 300)
      await expect.poll(() => indicator.count()).toBe(0)
      await aliceSees.page.keyboard.press('Control+Equal')
      await aliceSees.page.keyboard.press('Control+Equal')
      await expect.poll(async () => (await aliceSees.viewport()).scale).toBeGreaterThan(bobZoom)
      const zoomedIn = aliceWidth / (await aliceSees.viewport()).scale
      await toldOfViewport(bobSees.page, alice, (width) => Math.abs(width - zoomedIn) < 1)
      await afterFrames(bobSees.page)
      expect(await sameView(aliceSees, bobSees)).not.toBe('same')
      expect(aliceSees.pageErrors).toEqual([])
      expect(bobSees.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-F2] when a shape is selected and Shift+2 is pressed then it fills the view; Shift+1 shows everything; a press and drag on the minimap moves the view there',
    async () => {
      const canvasId = await canvasWith('Minimap', [
        rect('near', 0, 0),
        rect('far', 3000, -400, '#e9f6e9'),
        rect('other', 1500, 1800, '#ffefd6'),
      ])
      const editor = await openEditor(alice, canvasId)
      const fitted = await editor.viewport()

      // Select the far shape, then zoom to it.
      const far = await editor.toScreen({ x: 3080, y: -350 })
      await editor.page.mouse.click(far.x, far.y)
      await expect.poll(() => editor.stage.getAttribute('data-selection-count')).toBe('1')
      await editor.page.keyboard.press('Shift+Digit2')
      await expect.poll(async () => (await editor.viewport()).scale).toBeGreaterThan(fitted.scale * 2)
      const centre = await centreOf(editor)
      expect(Math.abs(centre.x - 3080)).toBeLessThan(2)
      expect(Math.abs(centre.y + 350)).toBeLessThan(2)

      await editor.page.keyboard.press('Shift+Digit1')
      await expect.poll(async () => (await editor.viewport()).scale).toBeCloseTo(fitted.scale, 3)

      // The minimap's view box maps minimap pixels to world units: press at one point, drag to
      // another, and the view is centred on the world point under the pointer.
      const minimap = editor.page.getByTestId('minimap')
      const map = await minimap.boundingBox()
      const box = await editor.page.getByTestId('minimap-view').boundingBox()
      const stage = await editor.stage.boundingBox()
      if (!map || !box || !stage) throw new Error('no minimap')
      const v = await editor.viewport()
      const mapScale = box.width / (stage.width / v.scale)
      const viewLeft = (stage.x - v.originX) / v.scale
      const viewTop = (stage.y - v.originY) / v.scale
      const worldAt = (p: Point) => ({
        x: viewLeft + (p.x - box.x) / mapScale,
        y: viewTop + (p.y - box.y) / mapScale,
      })
      const from = { x: map.x + map.width * 0.3, y: map.y + map.height * 0.3 }
      const to = { x: map.x + map.width * 0.75, y: map.y + map.height * 0.6 }
      await editor.page.mouse.move(from.x, from.y)
      await editor.page.mouse.down()
      await expect
        .poll(async () => Math.abs((await centreOf(editor)).x - worldAt(from).x) < 2 / mapScale)
        .toBe(true)
      await editor.page.mouse.move(to.x, to.y, { steps: 5 })
      await editor.page.mouse.up()
      const landed = await centreOf(editor)
      const target = worldAt(to)
      expect(Math.abs(landed.x - target.x)).toBeLessThan(2 / mapScale)
      expect(Math.abs(landed.y - target.y)).toBeLessThan(2 / mapScale)
      expect((await editor.viewport()).scale).toBeCloseTo(fitted.scale, 3)
      await screenshot(editor.page, 'e2e-editor-minimap.png')
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-F3] when the theme is toggled to dark then the chrome and canvas turn dark, shapes keep their colours, and the choice survives a reload; with no choice the system’s scheme decides',
    async () => {
      const canvasId = await canvasWith('Dark', [
        rect('blue', 0, 0),
        rect('pink', 220, 40, '#ffdbdc'),
        {
          id: 'label',
          type: 'text',
          x: 0,
          y: 160,
          width: 300,
          height: 30,
          text: 'Dark mode',
          fontSize: 24,
          fill: '#e5484d',
        },
        {
          id: 'ring',
          type: 'ellipse',
          x: 420,
          y: 0,
          width: 120,
          height: 120,
          fill: '#e9f6e9',
          stroke: '#46a758',
          strokeWidth: 3,
        },
      ])
      const editor = await openEditor(alice, canvasId, { ...DESKTOP, colorScheme: 'light' })
      const themeOf = () => editor.page.evaluate<string | undefined>('document.documentElement.dataset.theme')
      const colourOf = (selector: string) =>
        editor.page.evaluate<string>(
          `getComputedStyle(document.querySelector('${selector}')).backgroundColor`,
        )
      const canvasBg = () => colourOf('[data-testid="canvas-stage"]')
      expect(await themeOf()).toBe('light')
      const lightBg = await canvasBg()
      const fill = await editor.pixelAt({ x: 80, y: 50 })

      await editor.page.getByTestId('theme-toggle').click()
      expect(await themeOf()).toBe('dark')
      await expect.poll(canvasBg).not.toBe(lightBg)
      expect(luminance(await canvasBg())).toBeLessThan(40)
      expect(luminance(await colourOf('.topbar'))).toBeLessThan(60)
      expect(luminance(await colourOf('.toolbar'))).toBeLessThan(60)
      // The shape is drawn in its own colour, whatever the theme.
      expect(await editor.pixelAt({ x: 80, y: 50 })).toEqual(fill)
      // Selected, to show the theme's selection colours in the picture.
      const blue = await editor.toScreen({ x: 80, y: 50 })
      await editor.page.mouse.click(blue.x, blue.y)
      await expect.poll(() => editor.stage.getAttribute('data-selection-count')).toBe('1')
      await screenshot(editor.page, 'e2e-editor-dark-theme.png')

      await editor.page.reload()
      await expect.poll(() => editor.status(), { timeout: 20_000 }).toBe('online')
      expect(await themeOf()).toBe('dark')

      // Nothing stored, a system in dark mode: dark from the first paint.
      const fresh = await openEditor(alice, canvasId, { ...DESKTOP, colorScheme: 'dark' })
      expect(await fresh.page.evaluate('document.documentElement.dataset.theme')).toBe('dark')
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-F4] when a phone-sized touch screen taps a shape then a bar restyles its fill and stroke, duplicates and deletes it, each stored',
    async () => {
      const canvasId = await canvasWith('Phone', [rect('one', 0, 0), rect('two', 0, 300, '#ffefd6')])
      const phone = await openEditor(bob, canvasId, {
        viewport: { width: 390, height: 844 },
        hasTouch: true,
        isMobile: true,
        deviceScaleFactor: 2,
      })
      expect(await phone.page.getByTestId('style-panel').isVisible()).toBe(false)
      const at = await phone.toScreen({ x: 80, y: 50 })
      await phone.page.touchscreen.tap(at.x, at.y)
      const bar = phone.page.getByTestId('mobile-actions')
      await bar.waitFor({ state: 'visible' })

      await bar.getByRole('button', { name: 'Fill #ffdbdc' }).tap()
      await expect
        .poll(async () => (await stateOf(canvasId)).find((o) => o.id === 'one')?.fill)
        .toBe('#ffdbdc')
      await bar.getByRole('button', { name: 'Stroke #46a758' }).tap()
      await expect
        .poll(async () => (await stateOf(canvasId)).find((o) => o.id === 'one')?.stroke)
        .toBe('#46a758')
      await screenshot(phone.page, 'e2e-editor-phone.png')

      await bar.getByRole('button', { name: 'Duplicate' }).tap()
      await expect.poll(async () => (await stateOf(canvasId)).length).toBe(3)
      const copy = (await stateOf(canvasId)).find((o) => o.id !== 'one' && o.id !== 'two')
      expect(copy).toMatchObject({ type: 'rect', fill: '#ffdbdc', stroke: '#46a758' })

      // The copy is selected now: Delete removes it, and only it.
      await bar.getByRole('button', { name: 'Delete' }).tap()
      await expect.poll(async () => (await stateOf(canvasId)).map((o) => o.id).sort()).toEqual(['one', 'two'])
      await expect.poll(() => bar.count()).toBe(0)
      expect(phone.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )
})

/** Perceived brightness 0–255 of a CSS `rgb(…)` colour. */
function luminance(css: string): number {
  const [r = 0, g = 0, b = 0] = (css.match(/[\d.]+/g) ?? []).map(Number)
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}
