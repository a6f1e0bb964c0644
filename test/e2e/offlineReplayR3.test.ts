import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../support/fixtures.js'
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js'
import { OpLogReader } from '../support/opLogReader.js'
import { WsTestClient } from '../support/wsTestClient.js'
import { EditorDriver } from './support/EditorDriver.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'
import { startRestartableServer, type RestartableServer } from './support/restartableServer.js'

// [R3] Offline edits replay in a real browser: Alice's page reaches the (built) server through a
// TCP proxy, so her network can go down while the server and Bob stay up. She makes 100 edits
// offline; after the network is back each is applied exactly once, in order, and the page says
// "saved" only once every one of them is acked. (The engine alone: [SYNC25] in
// test/web/sync/syncEngineOffline.test.ts; a resend after a lost ack: [SYNC21].)

const STEP_TIMEOUT_MS = 120_000
/** The engine reconnects with backoff (500 ms doubling, with jitter). */
const RECONNECT_MS = 45_000
const EDITS = 100

let server: RestartableServer
let proxy: FaultProxy
let browser: Browser
let context: BrowserContext
let log: OpLogReader
let bobSocket: WsTestClient | undefined

beforeAll(async () => {
  chromiumPath() // fails with instructions when Chromium is missing
  server = await startRestartableServer()
  proxy = await startFaultProxy(server.baseUrl)
  browser = await launchChromium()
  log = new OpLogReader(server.dataDir)
}, 60_000)

afterAll(async () => {
  bobSocket?.terminate()
  log?.close()
  await context?.close()
  await browser?.close()
  await proxy?.close()
  await server?.close()
})

/** The indicator element as the page sees it (this project's Node types have no DOM). */
interface IndicatorElement {
  getAttribute(name: string): string | null
  r3States?: string[]
}
type ObserverClass = new (callback: () => void) => {
  observe(target: IndicatorElement, options: { attributes: true; attributeFilter: string[] }): void
}

/** Every state the saved indicator takes, recorded in the page as `saved/pending`. */
async function recordIndicator(editor: EditorDriver): Promise<() => Promise<string[]>> {
  const indicator = editor.page.getByTestId('saved-indicator')
  await indicator.evaluate((el: IndicatorElement) => {
    const seen: string[] = []
    const note = () => seen.push(`${el.getAttribute('data-saved')}/${el.getAttribute('data-pending')}`)
    note()
    const Observer = (globalThis as unknown as { MutationObserver: ObserverClass }).MutationObserver
    new Observer(note).observe(el, { attributes: true, attributeFilter: ['data-saved', 'data-pending'] })
    el.r3States = seen
  })
  return () => indicator.evaluate((el: IndicatorElement) => [...(el.r3States ?? [])])
}

describe('[R3] offline edits in the browser', () => {
  it(
    `[R3] when a page makes ${EDITS} edits while its network is down and then reconnects, then each is applied exactly once in order and "saved" shows only after the last ack`,
    async () => {
      const api = fetchClient(server.baseUrl)
      const alice: TestUser = await registerUser(api, { username: 'Alice' })
      const bob: TestUser = await registerUser(api, { username: 'Bob' })
      const canvas = await createCanvas(api, alice, 'Offline canvas')
      await shareCanvas(api, alice, canvas.id, bob, 'editor')
      const setup = await WsTestClient.connect(server.baseUrl, canvas.id, { token: alice.token })
      setup.send({
        type: 'object-create',
        opId: 'setup',
        object: { id: 'box', type: 'rect', x: 0, y: 0, width: 120, height: 80, fill: '#dbe4ff' },
      })
      await setup.waitForAck('setup')
      setup.close()
      // Bob watches from the server's side of the network: what everyone else is sent.
      bobSocket = await WsTestClient.connect(server.baseUrl, canvas.id, { token: bob.token })
      const bobSees = bobSocket

      context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      context.setDefaultTimeout(20_000)
      await context.addCookies([{ name: 'session', value: alice.token, url: proxy.baseUrl }])
      const editor = new EditorDriver(await context.newPage())
      await editor.page.goto(`${proxy.baseUrl}/canvas/${canvas.id}`)
      await expect.poll(() => editor.status(), { timeout: 20_000 }).toBe('online')
      await expect.poll(() => editor.objectCount()).toBe(1)
      const at = await editor.toScreen({ x: 60, y: 40 })
      await editor.page.mouse.click(at.x, at.y)
      const states = await recordIndicator(editor)

      proxy.setOffline(true)
      await expect.poll(() => editor.status(), { timeout: 20_000 }).toMatch(/^(offline|reconnecting)$/)
      for (let i = 0; i < EDITS; i++) await editor.page.keyboard.press('ArrowRight')
      await expect.poll(() => editor.saved()).toEqual({ saved: 'false', pending: String(EDITS) })
      // Nothing left the page: the server still has only the setup.
      expect(log.count(canvas.id)).toBe(1)

      proxy.setOffline(false)
      await expect.poll(() => editor.status(), { timeout: RECONNECT_MS }).toBe('online')
      await expect.poll(() => editor.saved(), { timeout: 20_000 }).toEqual({ saved: 'true', pending: '0' })

      // Exactly once, in order: 100 entries with 100 distinct opIds, x stepping 1..100.
      const rows = log.rows(canvas.id).slice(1)
      expect(rows).toHaveLength(EDITS)
      expect(new Set(rows.map((r) => r.opId)).size).toBe(EDITS)
      expect(rows.map((r) => r.userId)).toEqual(new Array<string>(EDITS).fill(alice.id))
      expect(rows.map((r) => (r.op as { changes?: { x?: number } }).changes?.x)).toEqual(
        Array.from({ length: EDITS }, (_, i) => i + 1),
      )
      // Bob was sent each once, in seq order, and ends where the server is.
      await bobSees.waitFor((m) => m.type === 'object-updated' && m.seq === EDITS + 1)
      expect(bobSees.all('object-updated').map((m) => m.seq)).toEqual(
        Array.from({ length: EDITS }, (_, i) => i + 2),
      )

      // "Saved" only with nothing pending; the count never rose after the network came back.
      const seen = await states()
      expect(seen.filter((s) => s.startsWith('true/'))).not.toHaveLength(0)
      expect(seen.filter((s) => s.startsWith('true/') && s !== 'true/0')).toEqual([])
      const pending = seen.map((s) => Number(s.split('/')[1]))
      const peak = pending.indexOf(EDITS)
      expect(peak).toBeGreaterThan(0)
      const draining = pending.slice(peak)
      expect(draining).toEqual([...draining].sort((a, b) => b - a))
      expect(seen.slice(peak, -1).every((s) => s.startsWith('false/'))).toBe(true)
      expect(seen.at(-1)).toBe('true/0')
      expect(editor.pageErrors).toEqual([])
    },
    STEP_TIMEOUT_MS,
  )
})
