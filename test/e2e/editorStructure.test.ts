import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewObject } from '../../src/protocol/objects.js'
import type { TestUser } from '../support/fixtures.js'
import type { EditorDriver } from './support/EditorDriver.js'
import { clickWorld, EditorFixture, screenshot } from './support/editorFixture.js'

// Issue 28, the Structure part, in Chromium against the built server: align and distribute
// [ED-S1], snapping [ED-S2], lock [ED-S3], frames [ED-S4], the layers panel [ED-S5], the
// right-click menu [ED-S6] and sticky notes [ED-S7]. Alice edits, Bob watches; each test makes
// its own canvas and reads the stored state over HTTP.

const STEP_TIMEOUT_MS = 90_000
const LIVE_MS = 2_000

let fx: EditorFixture
let alice: TestUser
let bob: TestUser

const stateOf = (canvasId: string) => fx.objectsOf(canvasId)
const objectOf = (canvasId: string, id: string) => fx.objectOf(canvasId, id)
const canvasWith = (name: string, objects: NewObject[]) => fx.canvasWith(name, objects)
const openEditor = (user: TestUser, canvasId: string) => fx.openEditor(user, canvasId)

const selectionCount = (editor: EditorDriver) => editor.stage.getAttribute('data-selection-count')

const rect = (id: string, x: number, y: number, extra: Partial<NewObject> = {}): NewObject => ({
  id,
  type: 'rect',
  x,
  y,
  width: 100,
  height: 60,
  fill: '#dbe4ff',
  stroke: '#3e63dd',
  strokeWidth: 2,
  zIndex: 1,
  ...extra,
})

describe('[ED-S] structure in the editor, in Chromium', () => {
  beforeAll(async () => {
    fx = await EditorFixture.start(['Alice', 'Bob'])
    ;[alice, bob] = fx.users as [TestUser, TestUser]
  }, 60_000)

  afterAll(async () => {
    await fx?.close()
  })

  it(
    '[ED-S1][ED-S6] when Alice aligns three shapes left from the right-click menu and distributes them from the style panel then the store and Bob’s canvas have them lined up, each one undo step',
    async () => {
      const canvasId = await canvasWith('Align', [
        rect('a', 100, 100),
        rect('b', 260, 200, { width: 60 }),
        rect('c', 180, 420),
      ])
      const aliceSees = await openEditor(alice, canvasId)
      const bobSees = await openEditor(bob, canvasId)
      const page = aliceSees.page
      await page.keyboard.press('Control+a')
      await expect.poll(() => selectionCount(aliceSees)).toBe('3')

      // The menu opens on a selected shape, the keyboard walks it, Escape closes it.
      await clickWorld(aliceSees, { x: 290, y: 230 }, 'right')
      const menu = page.getByTestId('context-menu')
      await expect
        .poll(() =>
          menu
            .getByRole('menuitem')
            .first()
            .evaluate((el: InPageElement) => el === el.ownerDocument.activeElement),
        )
        .toBe(true)
      await page.keyboard.press('Escape')
      await expect.poll(() => menu.count()).toBe(0)
      expect(await selectionCount(aliceSees)).toBe('3')

      await clickWorld(aliceSees, { x: 290, y: 230 }, 'right')
      await menu.getByRole('menuitem', { name: 'Align left' }).click()
      await expect.poll(async () => (await stateOf(canvasId)).map((o) => o.x)).toEqual([100, 100, 100])
      await expect.poll(() => menu.count()).toBe(0)
      // Bob's canvas draws b where it went (its old place, right of a, is empty).
      await expect.poll(() => bobSees.pixelAt({ x: 130, y: 230 }), { timeout: LIVE_MS }).toBeDefined()
      expect(await bobSees.pixelAt({ x: 300, y: 230 })).toBeUndefined()

      // Distribute vertically from the style panel: a (100..160) and c (420..480) stay, b centred between.
      await page.getByTestId('style-panel').getByRole('button', { name: 'Distribute vertically' }).click()
      await expect.poll(async () => (await objectOf(canvasId, 'b'))?.y).toBe(260)
      expect((await objectOf(canvasId, 'a'))?.y).toBe(100)
      expect((await objectOf(canvasId, 'c'))?.y).toBe(420)

      await page.keyboard.press('Control+z')
      await expect.poll(async () => (await objectOf(canvasId, 'b'))?.y).toBe(200)
      expect((await objectOf(canvasId, 'b'))?.x).toBe(100)
      expect(aliceSees.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-S2] when Alice drags a shape near another’s edge then it snaps onto it with a guide shown, Alt drags freely, and with the grid on it lands on the grid',
    async () => {
      const canvasId = await canvasWith('Snap', [
        rect('anchor', 100, 100, { width: 160, height: 100 }),
        rect('mover', 400, 400),
      ])
      const aliceSees = await openEditor(alice, canvasId)
      const bobSees = await openEditor(bob, canvasId)
      const mouse = aliceSees.page.mouse
      // Mover's left edge to 103: three units right of anchor's left edge.
      const from = await aliceSees.toScreen({ x: 450, y: 430 })
      const to = await aliceSees.toScreen({ x: 153, y: 430 })
      await mouse.move(from.x, from.y)
      await mouse.down()
      await mouse.move(to.x, to.y, { steps: 8 })
      // While held: a guide runs down x = 100, between the two shapes.
      await expect
        .poll(async () => {
          const px = await aliceSees.pixelAt({ x: 100, y: 300 })
          return px !== undefined && px[0] > 150 && px[1] < 150
        })
        .toBe(true)
      await screenshot(aliceSees.page, 'e2e-editor-snap-guide.png')
      await mouse.up()
      await expect.poll(async () => (await objectOf(canvasId, 'mover'))?.x).toBe(100)
      expect((await objectOf(canvasId, 'mover'))?.y).toBe(400)
      expect(await aliceSees.pixelAt({ x: 100, y: 300 })).toBeUndefined()
      await expect.poll(() => bobSees.pixelAt({ x: 105, y: 430 }), { timeout: LIVE_MS }).toBeDefined()

      // With Alt held the same drag lands where the pointer says.
      const again = await aliceSees.toScreen({ x: 150, y: 430 })
      const off = await aliceSees.toScreen({ x: 153, y: 530 })
      await aliceSees.page.keyboard.down('Alt')
      await mouse.move(again.x, again.y)
      await mouse.down()
      await mouse.move(off.x, off.y, { steps: 8 })
      await mouse.up()
      await aliceSees.page.keyboard.up('Alt')
      await expect.poll(async () => (await objectOf(canvasId, 'mover'))?.y).toBe(500)
      expect((await objectOf(canvasId, 'mover'))?.x).toBe(103)

      // Grid on, shapes off: the corner goes to the nearest multiple of 24.
      const toggles = aliceSees.page.getByTestId('view-toggles')
      await toggles.getByRole('button', { name: 'Grid' }).click()
      await toggles.getByRole('button', { name: 'Snap' }).click()
      expect(await toggles.getByRole('button', { name: 'Grid' }).getAttribute('aria-pressed')).toBe('true')
      await aliceSees.dragWorld({ x: 150, y: 530 }, { x: 207, y: 575 })
      await expect.poll(async () => (await objectOf(canvasId, 'mover'))?.x).toBe(168)
      expect((await objectOf(canvasId, 'mover'))?.y).toBe(552)
      expect(aliceSees.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-S3][ED-S5][ED-S6] when Alice locks a shape in the layers panel then neither she nor Bob can select, move or delete it, and the right-click menu unlocks it',
    async () => {
      const canvasId = await canvasWith('Lock', [rect('box', 100, 100), rect('free', 400, 100)])
      const aliceSees = await openEditor(alice, canvasId)
      const bobSees = await openEditor(bob, canvasId)
      const page = aliceSees.page
      await page.getByTestId('view-toggles').getByRole('button', { name: 'Layers' }).click()
      const layers = page.getByTestId('layers-panel')
      // Topmost first: free was created last.
      await expect
        .poll(() =>
          layers
            .locator('[data-layer-id]')
            .evaluateAll((rows: InPageElement[]) => rows.map((r) => r.getAttribute('data-layer-id'))),
        )
        .toEqual(['free', 'box'])
      await layers.getByRole('button', { name: 'Lock Rectangle', exact: true }).last().click()
      await expect.poll(async () => (await objectOf(canvasId, 'box'))?.locked).toBe(true)

      for (const editor of [aliceSees, bobSees]) {
        await clickWorld(editor, { x: 150, y: 130 })
        expect(await selectionCount(editor)).toBe('0')
        await editor.dragWorld({ x: 150, y: 130 }, { x: 150, y: 330 })
        await editor.page.keyboard.press('Control+a')
        await expect.poll(() => selectionCount(editor)).toBe('1')
        await editor.page.keyboard.press('Delete')
        await expect.poll(async () => (await objectOf(canvasId, 'free')) === undefined).toBe(true)
        expect(await objectOf(canvasId, 'box')).toMatchObject({ x: 100, y: 100, locked: true })
        // Still drawn.
        expect(await editor.pixelAt({ x: 150, y: 130 })).toEqual([0xdb, 0xe4, 0xff, 255])
        if (editor === aliceSees) await page.keyboard.press('Control+z')
        if (editor === aliceSees)
          await expect.poll(async () => (await objectOf(canvasId, 'free'))?.x).toBe(400)
      }

      await clickWorld(aliceSees, { x: 150, y: 130 }, 'right')
      await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Unlock' }).click()
      await expect.poll(async () => (await objectOf(canvasId, 'box'))?.locked).toBe(false)
      await clickWorld(bobSees, { x: 150, y: 130 })
      await expect.poll(() => selectionCount(bobSees)).toBe('1')
      expect(aliceSees.pageErrors).toEqual([])
      expect(bobSees.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-S4][ED-S5][ED-S7] when Alice draws a frame around a shape, adds sticky notes and moves the frame then the shape is its child and moves with it for Bob; dragged out it leaves',
    async () => {
      const canvasId = await canvasWith('Frames', [rect('inside', 150, 150), rect('outside', 800, 150)])
      const aliceSees = await openEditor(alice, canvasId)
      const bobSees = await openEditor(bob, canvasId)
      const page = aliceSees.page

      await page.keyboard.press('f')
      expect(await aliceSees.stage.getAttribute('data-tool')).toBe('frame')
      await aliceSees.dragWorld({ x: 100, y: 100 }, { x: 700, y: 420 })
      const frameOf = async () => (await stateOf(canvasId)).find((o) => o.type === 'frame')
      await expect.poll(async () => (await frameOf())?.name).toBe('Frame 1')
      const frame = (await frameOf())!
      expect(frame).toMatchObject({ x: 100, y: 100, width: 600, height: 320 })
      expect((await objectOf(canvasId, 'inside'))?.parentId).toBe(frame.id)
      expect((frame.zIndex ?? 0) < ((await objectOf(canvasId, 'inside'))?.zIndex ?? 0)).toBe(true)

      // Two sticky notes inside the frame, typed into at once: they join it.
      for (const [at, words] of [
        [{ x: 380, y: 250 }, 'Ship it'],
        [{ x: 590, y: 280 }, 'Then test'],
      ] as const) {
        await page.keyboard.press('n')
        await clickWorld(aliceSees, at)
        const area = page.getByTestId('text-editor')
        await expect.poll(() => area.count()).toBe(1)
        await page.keyboard.type(words)
        await page.keyboard.press('Control+Enter')
        await expect
          .poll(async () => (await stateOf(canvasId)).find((o) => o.text === words))
          .toMatchObject({ type: 'rect', name: 'Sticky note', fill: '#ffe588', parentId: frame.id })
      }
      // Bob sees a note in note yellow.
      await expect
        .poll(async () => (await bobSees.pixelAt({ x: 300, y: 270 }))?.slice(0, 3), { timeout: LIVE_MS })
        .toEqual([0xff, 0xe5, 0x88])

      // Renamed in the layers panel, children listed under it.
      await page.keyboard.press('Escape')
      await page.getByTestId('view-toggles').getByRole('button', { name: 'Layers' }).click()
      const layers = page.getByTestId('layers-panel')
      await layers.getByRole('button', { name: 'Frame 1', exact: true }).dblclick()
      await layers.getByLabel('Name of Frame 1').fill('Launch plan')
      await layers.getByLabel('Name of Frame 1').press('Enter')
      await expect.poll(async () => (await frameOf())?.name).toBe('Launch plan')
      const rows = await layers
        .locator('[data-layer-id]')
        .evaluateAll((els: InPageElement[]) =>
          els.map((el) => [el.getAttribute('data-layer-id'), el.style.paddingLeft]),
        )
      const frameRow = rows.findIndex(([id]) => id === frame.id)
      const insideRow = rows.findIndex(([id]) => id === 'inside')
      expect(insideRow).toBeGreaterThan(frameRow)
      expect(rows[insideRow]?.[1]).not.toBe(rows[frameRow]?.[1])
      await screenshot(bobSees.page, 'e2e-editor-frame-sticky-notes.png')
      await screenshot(page, 'e2e-editor-layers-panel.png')

      // Move the frame by an empty part of it: the child moves as much, stored and for Bob.
      await aliceSees.dragWorld({ x: 120, y: 400 }, { x: 170, y: 450 })
      await expect.poll(async () => (await frameOf())?.x).toBe(150)
      await expect.poll(async () => await objectOf(canvasId, 'inside')).toMatchObject({ x: 200, y: 200 })
      // Where the frame's white was, Bob now sees the shape's fill.
      await expect
        .poll(() => bobSees.pixelAt({ x: 290, y: 250 }), { timeout: LIVE_MS })
        .toEqual([0xdb, 0xe4, 0xff, 255])

      // Dragged out, the shape leaves the frame; dragged in, the other one joins it.
      await aliceSees.dragWorld({ x: 250, y: 230 }, { x: 650, y: 530 })
      await expect.poll(async () => (await objectOf(canvasId, 'inside'))?.parentId).toBeNull()
      await aliceSees.dragWorld({ x: 850, y: 180 }, { x: 300, y: 250 })
      await expect.poll(async () => (await objectOf(canvasId, 'outside'))?.parentId).toBe(frame.id)
      expect(aliceSees.pageErrors).toEqual([])
      expect(bobSees.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )
})

/** The DOM the in-page callbacks touch: this Node project compiles without the DOM lib. */
interface InPageElement {
  ownerDocument: { activeElement: unknown }
  style: { paddingLeft: string }
  getAttribute(name: string): string | null
}
