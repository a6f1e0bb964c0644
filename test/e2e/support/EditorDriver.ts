import type { Locator, Page } from 'playwright-core'

export interface Point {
  x: number
  y: number
}

/** Where the world origin is on the page (CSS px) and screen px per world unit. */
export interface PageViewport {
  originX: number
  originY: number
  scale: number
}

export type Rgba = [number, number, number, number]

/**
 * Reads and drives one page of the editor through what a production build shows: the
 * `data-testid` hooks, the DOM and the pixels of the Konva canvases. There is no
 * `window.__collabcanvas` in production builds, so nothing here reaches into the app's state.
 */
export class EditorDriver {
  readonly stage: Locator
  /** Uncaught exceptions in the page: a test ends by checking there were none. */
  readonly pageErrors: string[] = []

  constructor(readonly page: Page) {
    this.stage = page.getByTestId('canvas-stage')
    page.on('pageerror', (err) => this.pageErrors.push(`${err.name}: ${err.message}`))
  }

  tool(name: string): Locator {
    return this.page.getByTestId('toolbar').getByRole('button', { name, exact: true })
  }

  async objectCount(): Promise<number> {
    return Number(await this.stage.getAttribute('data-object-count'))
  }

  async status(): Promise<string | null> {
    return this.page.getByTestId('connection-status').getAttribute('data-status')
  }

  /** `{saved, pending}` from the saved indicator. */
  async saved(): Promise<{ saved: string | null; pending: string | null }> {
    const indicator = this.page.getByTestId('saved-indicator')
    return {
      saved: await indicator.getAttribute('data-saved'),
      pending: await indicator.getAttribute('data-pending'),
    }
  }

  /**
   * The view transform, from the page: the stage box's dot grid is drawn at the viewport's
   * origin (`background-position`, see gridStyle in Editor.tsx), `data-zoom` is the scale.
   * The grid's step (24 world units, times 4 while under 12 px) gives the scale more digits.
   */
  async viewport(): Promise<PageViewport> {
    const box = await this.stage.boundingBox()
    if (!box) throw new Error('the canvas stage is not on the page')
    const style = parseStyle((await this.stage.getAttribute('style')) ?? '')
    const position = style.get('background-position') ?? ''
    const size = style.get('background-size') ?? ''
    const zoom = (await this.stage.getAttribute('data-zoom')) ?? ''
    const [x, y] = position.split(' ').map((v) => Number.parseFloat(v))
    const step = Number.parseFloat(size)
    const rough = Number(zoom)
    if (x === undefined || y === undefined || !Number.isFinite(x + y + step + rough))
      throw new Error(`cannot read the viewport: position ${position}, size ${size}, zoom ${zoom}`)
    // The grid's step is 24 × scale × 4^k, the smallest such step of at least 12 px.
    let coarsening = 1
    while (24 * rough * coarsening < 12) coarsening *= 4
    const precise = step / (24 * coarsening)
    const scale = Math.abs(precise - rough) <= 0.0006 ? precise : rough
    return { originX: box.x + x, originY: box.y + y, scale }
  }

  /** A world point's position on the page (for the mouse). */
  async toScreen(world: Point): Promise<Point> {
    const v = await this.viewport()
    return { x: v.originX + world.x * v.scale, y: v.originY + world.y * v.scale }
  }

  /** Presses at `from`, moves in steps, releases at `to` (page coordinates). */
  async drag(from: Point, to: Point, steps = 8): Promise<void> {
    // A press that lands on a banner or panel above the canvas would fail far from the cause.
    const target = await this.stage.evaluate((el: InPageElement, p: Point) => {
      const hit = el.ownerDocument.elementFromPoint(p.x, p.y)
      return hit && el.contains(hit) && hit.tagName === 'CANVAS'
        ? 'canvas'
        : (hit?.outerHTML.slice(0, 120) ?? 'nothing')
    }, from)
    if (target !== 'canvas')
      throw new Error(`a drag from (${from.x}, ${from.y}) would press ${target}, not the canvas`)
    const mouse = this.page.mouse
    await mouse.move(from.x, from.y)
    await mouse.down()
    await mouse.move(to.x, to.y, { steps })
    await mouse.up()
  }

  async dragWorld(from: Point, to: Point): Promise<void> {
    await this.drag(await this.toScreen(from), await this.toScreen(to))
  }

  /**
   * The colour the Konva layers show at a world point: the topmost layer canvas with a pixel
   * that is not transparent there, or undefined when every layer is clear (the background).
   */
  async pixelAt(world: Point): Promise<Rgba | undefined> {
    const at = await this.toScreen(world)
    return this.stage.evaluate((el: InPageElement, p: Point) => {
      const canvases = [...el.querySelectorAll('canvas')].reverse()
      for (const canvas of canvases) {
        const rect = canvas.getBoundingClientRect()
        const ratio = canvas.width / rect.width
        const x = Math.floor((p.x - rect.left) * ratio)
        const y = Math.floor((p.y - rect.top) * ratio)
        if (x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) continue
        const data = canvas.getContext('2d')?.getImageData(x, y, 1, 1).data
        if (data && data[3] !== 0) return [data[0], data[1], data[2], data[3]] as Rgba
      }
      return undefined
    }, at)
  }

  /**
   * Where this page draws another user's cursor, in world units: the cursor overlay covers the
   * stage and places each cursor with `translate3d(x px, y px, 0)` (CursorOverlay.tsx).
   */
  async cursorWorld(userId: string): Promise<Point | undefined> {
    const cursor = this.page.locator(`[data-testid="remote-cursor"][data-user-id="${userId}"]`)
    if ((await cursor.count()) === 0) return undefined
    const transform = parseStyle((await cursor.getAttribute('style')) ?? '').get('transform') ?? ''
    const match = /translate3d\(([-\d.]+)px, ([-\d.]+)px/.exec(transform)
    if (!match) return undefined
    const box = await this.stage.boundingBox()
    const v = await this.viewport()
    if (!box) return undefined
    return {
      x: (box.x + Number(match[1]) - v.originX) / v.scale,
      y: (box.y + Number(match[2]) - v.originY) / v.scale,
    }
  }

  /**
   * The edits this page's browser context keeps for `canvasId` in IndexedDB until the server
   * acks them (IndexedDbPendingStore in src/web/sync/pendingStore.ts), read by Playwright.
   */
  async storedOps(canvasId: string): Promise<number> {
    const state = (await this.page.context().storageState({ indexedDB: true })) as unknown as StorageState
    const records = state.origins
      .flatMap((o) => o.indexedDB ?? [])
      .filter((db) => db.name === 'collabcanvas-sync')
      .flatMap((db) => db.stores.filter((s) => s.name === 'pendingOps'))
      .flatMap((store) => store.records)
    return records.filter((r) => r.value?.canvasId === canvasId).length
  }
}

/** `a: b; c: d` → Map { a → b, c → d }. */
function parseStyle(style: string): Map<string, string> {
  const entries = style
    .split(';')
    .map((decl) => decl.split(':'))
    .filter((parts) => parts.length >= 2)
    .map(([name, ...value]) => [name!.trim(), value.join(':').trim()] as const)
  return new Map(entries)
}

/** The IndexedDB part of storageState({indexedDB: true}), which Playwright's types leave out. */
interface StorageState {
  origins: {
    origin: string
    indexedDB?: {
      name: string
      stores: { name: string; records: { key?: unknown; value?: { canvasId?: string } }[] }[]
    }[]
  }[]
}

/**
 * The DOM the in-page code touches: this Node project compiles without the DOM lib, so these
 * stand in for Element and HTMLCanvasElement inside `evaluate`.
 */
interface InPageCanvas {
  width: number
  height: number
  getBoundingClientRect(): { left: number; top: number; width: number }
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null
}
interface InPageNode {
  tagName: string
  outerHTML: string
}
interface InPageElement extends InPageNode {
  ownerDocument: { elementFromPoint(x: number, y: number): InPageNode | null }
  contains(other: InPageNode): boolean
  querySelectorAll(selector: 'canvas'): ArrayLike<InPageCanvas> & Iterable<InPageCanvas>
}
