import fs from 'node:fs'
import zlib from 'node:zlib'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CanvasListItem } from '../../src/protocol/httpTypes.js'
import type { CanvasObject, NewObject } from '../../src/protocol/objects.js'
import type { ApiClient } from '../support/apiClient.js'
import { createCanvas, registerUser, type TestUser } from '../support/fixtures.js'
import { WsTestClient } from '../support/wsTestClient.js'
import { clickWorld, EditorFixture, pngPixels, screenshot } from './support/editorFixture.js'

// Issue 28 in Chromium against the built server: export to PNG, SVG and PDF and copy as image
// [ED-E1]–[ED-E3], the style panel's connector and text controls [ED-S1]–[ED-S2], and the canvas
// list's thumbnails, search and duplicate [LIST1]–[LIST4]. Each test makes its own canvas.

const STEP_TIMEOUT_MS = 90_000

let fx: EditorFixture
let api: ApiClient
let alice: TestUser

const stateOf = (canvasId: string) => fx.stateOf(canvasId)
const objectOf = (canvasId: string, id: string) => fx.objectOf(canvasId, id)
const canvasWith = (name: string, objects: NewObject[]) => fx.canvasWith(name, objects)
const pageFor = (user: TestUser) => fx.pageFor(user)
const openEditor = (canvasId: string, permissions: string[] = []) =>
  fx.openEditor(alice, canvasId, { permissions })

/** A PDF's page count, its pages' MediaBoxes and its content streams (inflated). */
function parsePdf(bytes: Buffer): { pages: number; mediaBoxes: number[][]; content: string } {
  const text = bytes.toString('latin1')
  const pageObjects = text.match(/\/Type\s*\/Page\b/g) ?? []
  const mediaBoxes = [...text.matchAll(/\/MediaBox\s*\[([^\]]*)\]/g)].map((m) =>
    (m[1] ?? '').trim().split(/\s+/).map(Number),
  )
  const streams: string[] = []
  let from = 0
  for (;;) {
    const start = text.indexOf('stream', from)
    if (start === -1) break
    const dataStart = text[start + 6] === '\r' ? start + 8 : start + 7
    const end = text.indexOf('endstream', dataStart)
    if (end === -1) break
    const raw = bytes.subarray(dataStart, end)
    try {
      streams.push(zlib.inflateSync(raw).toString('latin1'))
    } catch {
      streams.push(raw.toString('latin1'))
    }
    from = end + 9
  }
  return { pages: pageObjects.length, mediaBoxes, content: streams.join('\n') }
}

const rect = (id: string, x: number, y: number, extra: Partial<NewObject> = {}): NewObject => ({
  id,
  type: 'rect',
  x,
  y,
  width: 100,
  height: 50,
  fill: '#ff0000',
  stroke: '#1c2024',
  strokeWidth: 0,
  ...extra,
})

describe('[ED-E][ED-S][LIST] export, style controls and the canvas list in Chromium', () => {
  beforeAll(async () => {
    fx = await EditorFixture.start(['Alice Export'])
    api = fx.api
    alice = fx.owner
  }, 60_000)

  afterAll(async () => {
    await fx?.close()
  })

  async function exportAs(
    page: Page,
    format: string,
    setup?: (dialog: ReturnType<Page['getByTestId']>) => Promise<void>,
  ): Promise<{ name: string; bytes: Buffer }> {
    await page.getByTestId('export-button').click()
    const dialog = page.getByTestId('export-dialog')
    await dialog.getByLabel('Format').selectOption(format)
    await setup?.(dialog)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Export', exact: true }).click(),
    ])
    return { name: download.suggestedFilename(), bytes: fs.readFileSync(await download.path()) }
  }

  it(
    '[ED-E1][ED-E2] when Alice exports SVG, PNG and a frame as PDF then each opens and shows the stored shapes: SVG elements, PNG pixels and a one-page vector PDF the size of the frame',
    async () => {
      const canvasId = await canvasWith('Exports', [
        { id: 'f', type: 'frame', x: 0, y: 0, width: 300, height: 200, fill: '#ffffff', name: 'Slide 1' },
        rect('red', 50, 50, { parentId: 'f' }),
        { id: 'blue', type: 'ellipse', x: 400, y: 50, width: 80, height: 80, fill: '#0000ff' },
      ])
      const editor = await openEditor(canvasId)
      const page = editor.page
      const state = await stateOf(canvasId)

      const svg = await exportAs(page, 'svg', async (dialog) => {
        await dialog.getByLabel('Padding (px)').fill('0')
      })
      expect(svg.name).toBe('Exports.svg')
      const elements = await page.evaluate((markup: string) => {
        const g = globalThis as unknown as {
          DOMParser: new () => {
            parseFromString(
              s: string,
              t: string,
            ): {
              documentElement: {
                getAttribute(n: string): string | null
                querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }>
              }
            }
          }
        }
        const root = new g.DOMParser().parseFromString(markup, 'image/svg+xml').documentElement
        const fills = (sel: string) =>
          Array.from(root.querySelectorAll(sel)).map((e) => e.getAttribute('fill'))
        return { viewBox: root.getAttribute('viewBox'), rects: fills('rect'), ellipses: fills('ellipse') }
      }, svg.bytes.toString('utf8'))
      // The shapes' union: the frame (0,0)–(300,200) and the ellipse up to (480,130).
      expect(elements.viewBox).toBe('0 0 480 200')
      for (const o of state.objects) {
        const list = o.type === 'ellipse' ? elements.ellipses : elements.rects
        expect(list, `${o.id} is drawn with its fill`).toContain(o.fill)
      }

      const png = await exportAs(page, 'png', async (dialog) => {
        await dialog.getByLabel('Padding (px)').fill('0')
        await dialog.getByLabel('Scale').selectOption('1')
      })
      expect(png.name).toBe('Exports.png')
      const read = await pngPixels(page, png.bytes, [
        [100, 75],
        [440, 90],
        [20, 20],
      ])
      expect(read.width).toBe(480)
      expect(read.height).toBe(200)
      expect(read.pixels).toEqual([
        [255, 0, 0, 255],
        [0, 0, 255, 255],
        [255, 255, 255, 255],
      ])

      const pdf = await exportAs(page, 'pdf', async (dialog) => {
        await dialog.getByLabel('What').selectOption({ label: 'Frame: Slide 1' })
        await dialog.getByLabel('Padding (px)').fill('0')
      })
      expect(pdf.name).toBe('Exports.pdf')
      expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
      expect(pdf.bytes.subarray(-8).toString('latin1')).toContain('%%EOF')
      const parsed = parsePdf(pdf.bytes)
      expect(parsed.pages).toBe(1)
      expect(parsed.mediaBoxes.map((box) => box.map((v) => Math.round(v)))).toEqual([[0, 0, 300, 200]])
      // Vector content: the red rectangle inside the frame is filled red; the blue ellipse
      // outside the frame is not in the frame's page.
      expect(parsed.content).toMatch(/(^|\s)1\.?0*\s+0\.?0*\s+0\.?0*\s+rg/m)
      expect(parsed.content).not.toMatch(/(^|\s)0\.?0*\s+0\.?0*\s+1\.?0*\s+rg/m)
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-E3] when Alice copies as image (Shift+Ctrl+C and the dialog button) then a PNG of the shapes is on the clipboard',
    async () => {
      const canvasId = await canvasWith('Copy me', [rect('red', 0, 0)])
      const editor = await openEditor(canvasId, ['clipboard-read', 'clipboard-write'])
      const page = editor.page
      const readClipboard = () =>
        page.evaluate(async () => {
          const g = globalThis as unknown as {
            navigator: {
              clipboard: { read(): Promise<{ types: string[]; getType(t: string): Promise<Blob> }[]> }
            }
            FileReader: new () => { result: unknown; onload: () => void; readAsDataURL(b: Blob): void }
          }
          const items = await g.navigator.clipboard.read()
          const item = items.find((i) => i.types.includes('image/png'))
          if (!item) return { types: items.flatMap((i) => i.types), dataUrl: '' }
          const blob = await item.getType('image/png')
          const reader = new g.FileReader()
          const dataUrl = await new Promise<string>((resolve) => {
            reader.onload = () => resolve(String(reader.result))
            reader.readAsDataURL(blob)
          })
          return { types: item.types, dataUrl }
        })

      await page.getByTestId('canvas-stage').click({ position: { x: 5, y: 5 } })
      await page.keyboard.press('Shift+Control+C')
      await expect.poll(() => page.locator('[data-code="image-copied"]').count()).toBe(1)
      const clip = await readClipboard()
      expect(clip.types).toContain('image/png')
      const bytes = Buffer.from(clip.dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64')
      // 100 × 50 plus 16 of padding each side, at 2×.
      const read = await pngPixels(page, bytes, [
        [132, 82],
        [4, 4],
      ])
      expect([read.width, read.height]).toEqual([264, 164])
      expect(read.pixels).toEqual([
        [255, 0, 0, 255],
        [255, 255, 255, 255],
      ])

      // The dialog's button puts the same picture there.
      await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { writeText(t: string): Promise<void> } } }
        ).navigator.clipboard.writeText('something else'),
      )
      await page.getByTestId('export-button').click()
      await page.getByTestId('export-dialog').getByRole('button', { name: 'Copy as image' }).click()
      await page.getByTestId('export-copied').waitFor()
      expect((await readClipboard()).types).toContain('image/png')
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[ED-S1][ED-S2] when Alice uses the stroke style, corner, arrowhead, font, alignment and size controls then each stored object changes as picked, and a text box grows with its font',
    async () => {
      const canvasId = await canvasWith('Styles', [
        rect('box', 0, 0, { strokeWidth: 2, fill: '#dbe4ff' }),
        {
          id: 'arrow',
          type: 'arrow',
          x: 0,
          y: 200,
          points: [0, 0, 200, 0],
          stroke: '#1c2024',
          strokeWidth: 2,
        },
        {
          id: 'words',
          type: 'text',
          x: 0,
          y: 300,
          width: 80,
          height: 30,
          text: 'Hello',
          fontSize: 24,
          fill: '#1c2024',
        },
      ])
      const editor = await openEditor(canvasId)
      const page = editor.page
      const panel = page.getByTestId('style-panel')

      await clickWorld(editor, { x: 50, y: 25 })
      await panel.getByRole('button', { name: 'Dashed' }).click()
      await expect.poll(async () => (await objectOf(canvasId, 'box'))?.dash).toEqual([4, 3])
      await panel.getByRole('button', { name: 'Dotted' }).click()
      await expect.poll(async () => (await objectOf(canvasId, 'box'))?.dash).toEqual([1, 2])
      await panel.getByLabel('Corner radius').fill('12')
      await expect.poll(async () => (await objectOf(canvasId, 'box'))?.cornerRadius).toBe(12)

      await clickWorld(editor, { x: 100, y: 200 })
      await expect.poll(() => panel.getByText('At the start').count()).toBe(1)
      await panel.getByLabel('At the start').check()
      await expect.poll(async () => (await objectOf(canvasId, 'arrow'))?.arrowStart).toBe(true)
      await panel.getByLabel('At the end').uncheck()
      await expect.poll(async () => (await objectOf(canvasId, 'arrow'))?.arrowEnd).toBe(false)
      await panel.getByRole('button', { name: 'Dashed' }).click()
      await expect.poll(async () => (await objectOf(canvasId, 'arrow'))?.dash).toEqual([4, 3])

      await clickWorld(editor, { x: 20, y: 315 })
      await panel.getByLabel('Font', { exact: true }).selectOption({ label: 'Monospace' })
      await expect.poll(async () => (await objectOf(canvasId, 'words'))?.fontFamily).toMatch(/monospace/)
      await panel.getByRole('button', { name: 'Center' }).click()
      await expect.poll(async () => (await objectOf(canvasId, 'words'))?.align).toBe('center')
      const before = await objectOf(canvasId, 'words')
      await panel.getByLabel('Font size').fill('72')
      await panel.getByLabel('Font size').press('Enter')
      await expect.poll(async () => (await objectOf(canvasId, 'words'))?.fontSize).toBe(72)
      const after = await objectOf(canvasId, 'words')
      expect(after?.width ?? 0).toBeGreaterThan(before?.width ?? 0)
      expect(after?.height ?? 0).toBeGreaterThan(before?.height ?? 0)
      await screenshot(page, 'editor-style-controls.png')
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )

  it(
    '[LIST1][LIST2][LIST3][LIST4] when Alice opens her canvas list then each card shows a thumbnail of its canvas, search filters by name, Duplicate makes a copy with the same objects, and Delete removes it after asking',
    async () => {
      const owner = await registerUser(api, { username: 'Lister' })
      let ops = 0
      const make = async (name: string, objects: NewObject[]) => {
        const canvas = await createCanvas(api, owner, name)
        if (objects.length > 0) {
          const ws = await WsTestClient.connect(fx.server.baseUrl, canvas.id, { token: owner.token })
          for (const object of objects) ws.send({ type: 'object-create', opId: `op${++ops}`, object })
          await ws.waitForAck(`op${ops}`)
          ws.close()
        }
        return canvas.id
      }
      const roadmap = await make('Roadmap Q4', [rect('a', 0, 0), rect('b', 200, 100, { fill: '#00aa00' })])
      await make('Team offsite', [rect('c', 0, 0, { fill: '#0000ff' })])
      await make('Empty sketch', [])

      const page = await pageFor(owner)
      await page.goto(fx.server.baseUrl)
      const cards = page.getByTestId('canvas-card')
      await expect.poll(() => cards.count()).toBe(3)
      // Every thumbnail loads (an SVG drawn by the server) and names the canvas's seq.
      await expect
        .poll(() =>
          page
            .getByTestId('canvas-thumbnail')
            .evaluateAll((imgs) =>
              imgs.map((i) => (i as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0),
            ),
        )
        .toEqual([true, true, true])
      const roadmapCard = page.locator(`[data-canvas-id="${roadmap}"]`)
      expect(await roadmapCard.getByTestId('canvas-thumbnail').getAttribute('src')).toBe(
        `/api/canvases/${roadmap}/thumbnail?v=2`,
      )
      // The picture shows the canvas: its red and green rectangles are in the card's image.
      const colours = await roadmapCard.getByTestId('canvas-thumbnail').evaluate((img) => {
        const g = globalThis as unknown as {
          document: {
            createElement(tag: 'canvas'): {
              width: number
              height: number
              getContext(kind: '2d'): {
                drawImage(i: unknown, x: number, y: number, w: number, h: number): void
                getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> }
              }
            }
          }
        }
        const canvas = g.document.createElement('canvas')
        canvas.width = 320
        canvas.height = 132
        const context = canvas.getContext('2d')
        context.drawImage(img, 0, 0, 320, 132)
        const data = context.getImageData(0, 0, 320, 132).data
        let red = 0
        let green = 0
        for (let i = 0; i < data.length; i += 4) {
          if ((data[i] ?? 0) > 200 && (data[i + 1] ?? 0) < 60 && (data[i + 2] ?? 0) < 60) red++
          if ((data[i] ?? 0) < 60 && (data[i + 1] ?? 0) > 140 && (data[i + 2] ?? 0) < 60) green++
        }
        return { red, green }
      })
      expect(colours.red).toBeGreaterThan(100)
      expect(colours.green).toBeGreaterThan(100)
      await screenshot(page, 'canvas-list-thumbnails.png')

      await page.getByLabel('Search canvases').fill('road')
      await expect.poll(() => cards.count()).toBe(1)
      expect(await cards.first().getAttribute('data-canvas-id')).toBe(roadmap)
      await page.getByLabel('Search canvases').fill('nothing like it')
      await page.getByTestId('canvas-search-empty').waitFor()
      await page.getByLabel('Search canvases').fill('')
      await expect.poll(() => cards.count()).toBe(3)

      await page.getByRole('button', { name: 'Duplicate Roadmap Q4' }).click()
      await expect.poll(() => cards.count()).toBe(4)
      await page.getByText('Roadmap Q4 (copy)').waitFor()
      const listed = await api.send<{ canvases: CanvasListItem[] }>({
        method: 'GET',
        url: '/api/canvases',
        token: owner.token,
      })
      const copy = listed.body.canvases.find((c) => c.name === 'Roadmap Q4 (copy)')
      expect(copy).toMatchObject({ role: 'owner', seq: 2 })
      const copied = await api.send<{ objects: CanvasObject[] }>({
        method: 'GET',
        url: `/api/canvases/${copy?.id ?? ''}/state`,
        token: owner.token,
      })
      expect(copied.body.objects.map((o) => [o.id, o.fill]).sort()).toEqual([
        ['a', '#ff0000'],
        ['b', '#00aa00'],
      ])

      // Delete asks first: Cancel keeps the canvas, the confirmation removes it for good.
      const deleteDialog = page.getByTestId('delete-canvas-dialog')
      await page.getByRole('button', { name: 'Delete Roadmap Q4 (copy)' }).click()
      await deleteDialog.getByText('cannot be undone').waitFor()
      await deleteDialog.getByRole('button', { name: 'Cancel' }).click()
      await deleteDialog.waitFor({ state: 'hidden' })
      expect(await cards.count()).toBe(4)
      await page.getByRole('button', { name: 'Delete Roadmap Q4 (copy)' }).click()
      await deleteDialog.getByRole('button', { name: 'Delete canvas' }).click()
      await expect.poll(() => cards.count()).toBe(3)
      const gone = await api.send({
        method: 'GET',
        url: `/api/canvases/${copy?.id ?? ''}/state`,
        token: owner.token,
      })
      expect(gone.status).toBe(404)
    },
    STEP_TIMEOUT_MS,
  )
})
