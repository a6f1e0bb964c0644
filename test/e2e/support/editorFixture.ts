import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { expect } from 'vitest'
import type { CanvasObject, NewObject } from '../../../src/protocol/objects.js'
import { fetchClient, type ApiClient } from '../../support/apiClient.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../../support/fixtures.js'
import { WsTestClient } from '../../support/wsTestClient.js'
import { EditorDriver, type Point } from './EditorDriver.js'
import { chromiumPath, launchChromium } from './launchChromium.js'
import { startRestartableServer, type RestartableServer } from './restartableServer.js'

const OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url))

export interface StateBody {
  seq: number
  objects: CanvasObject[]
}

export interface PageOptions {
  /** The browser context's options (a phone's viewport and touch, say); a 1280 × 800 desktop by default. */
  context?: BrowserContextOptions
  /** Browser permissions for the server's origin (clipboard, say). */
  permissions?: string[]
}

/**
 * What the editor's Chromium tests share: the built server, one browser, registered users (the
 * first owns the canvases, the others edit them), a page per user signed in by cookie, canvases
 * seeded over the WebSocket, and the stored state read back over HTTP.
 */
export class EditorFixture {
  private readonly contexts: BrowserContext[] = []

  private constructor(
    readonly server: RestartableServer,
    readonly browser: Browser,
    readonly api: ApiClient,
    readonly users: readonly TestUser[],
  ) {}

  static async start(usernames: readonly string[]): Promise<EditorFixture> {
    chromiumPath()
    const server = await startRestartableServer()
    const browser = await launchChromium()
    const api = fetchClient(server.baseUrl)
    const users = await Promise.all(usernames.map((username) => registerUser(api, { username })))
    return new EditorFixture(server, browser, api, users)
  }

  get owner(): TestUser {
    return this.users[0] as TestUser
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => undefined)
    await this.browser.close()
    await this.server.close()
  }

  async stateOf(canvasId: string, user: TestUser = this.owner): Promise<StateBody> {
    const res = await fetch(`${this.server.baseUrl}/api/canvases/${canvasId}/state`, {
      headers: { authorization: `Bearer ${user.token}` },
    })
    expect(res.status).toBe(200)
    return (await res.json()) as StateBody
  }

  async objectsOf(canvasId: string): Promise<CanvasObject[]> {
    return (await this.stateOf(canvasId)).objects
  }

  async objectOf(canvasId: string, id: string): Promise<CanvasObject | undefined> {
    return (await this.objectsOf(canvasId)).find((o) => o.id === id)
  }

  /** A canvas of the first user's that `editors` (by default every other user) may edit, holding `objects`. */
  async canvasWith(
    name: string,
    objects: readonly NewObject[],
    editors: readonly TestUser[] = this.users.slice(1),
  ): Promise<string> {
    const canvas = await createCanvas(this.api, this.owner, name)
    for (const user of editors) await shareCanvas(this.api, this.owner, canvas.id, user, 'editor')
    if (objects.length > 0) {
      const ws = await WsTestClient.connect(this.server.baseUrl, canvas.id, { token: this.owner.token })
      for (const [i, object] of objects.entries())
        ws.send({ type: 'object-create', opId: `seed${i}`, object })
      await ws.waitForAck(`seed${objects.length - 1}`)
      ws.close()
    }
    return canvas.id
  }

  /** A page in a fresh browser context, signed in as `user` (anonymous without one). */
  async pageFor(user: TestUser | undefined, options: PageOptions = {}): Promise<Page> {
    const context = await this.browser.newContext(
      options.context ?? { viewport: { width: 1280, height: 800 } },
    )
    const permissions = options.permissions ?? []
    if (permissions.length > 0) await context.grantPermissions(permissions, { origin: this.server.baseUrl })
    context.setDefaultTimeout(20_000)
    this.contexts.push(context)
    if (user) await context.addCookies([{ name: 'session', value: user.token, url: this.server.baseUrl }])
    return context.newPage()
  }

  /** The editor of `canvasId` as `user`, once it is online. */
  async openEditor(user: TestUser, canvasId: string, options: PageOptions = {}): Promise<EditorDriver> {
    const editor = new EditorDriver(await this.pageFor(user, options))
    await editor.page.goto(`${this.server.baseUrl}/canvas/${canvasId}`)
    await expect.poll(() => editor.status(), { timeout: 20_000 }).toBe('online')
    return editor
  }
}

export async function clickWorld(
  editor: EditorDriver,
  world: Point,
  button: 'left' | 'right' = 'left',
): Promise<void> {
  const at = await editor.toScreen(world)
  await editor.page.mouse.click(at.x, at.y, { button })
}

/** Resolves after the page has rendered two more frames: React's and Konva's work is on screen. */
export async function afterFrames(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const raf = (globalThis as unknown as { requestAnimationFrame: (f: () => void) => void })
          .requestAnimationFrame
        raf(() => raf(() => resolve()))
      }),
  )
}

/** Saves a screenshot under test-output/ for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(OUTPUT, { recursive: true })
  await page.screenshot({ path: path.join(OUTPUT, name) })
}

export type Rgba = [number, number, number, number]

/** Decodes a PNG in the page and reads pixels at the given image coordinates. */
export async function pngPixels(
  page: Page,
  bytes: Buffer,
  at: readonly [number, number][],
): Promise<{ width: number; height: number; pixels: Rgba[] }> {
  return page.evaluate(
    async ({ dataUrl, points }) => {
      const g = globalThis as unknown as {
        Image: new () => { src: string; decode(): Promise<void>; width: number; height: number }
        document: {
          createElement(tag: 'canvas'): {
            width: number
            height: number
            getContext(kind: '2d'): {
              drawImage(i: unknown, x: number, y: number): void
              getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> }
            }
          }
        }
      }
      const image = new g.Image()
      image.src = dataUrl
      await image.decode()
      const canvas = g.document.createElement('canvas')
      canvas.width = image.width
      canvas.height = image.height
      const context = canvas.getContext('2d')
      context.drawImage(image, 0, 0)
      return {
        width: image.width,
        height: image.height,
        pixels: points.map(([x, y]) => Array.from(context.getImageData(x, y, 1, 1).data) as Rgba),
      }
    },
    { dataUrl: `data:image/png;base64,${bytes.toString('base64')}`, points: at },
  )
}
