import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { startCli, type CliProcess } from '../support/cli.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../support/fixtures.js'
import { OpWriter } from '../support/opWriter.js'
import { seededRandom } from '../support/seededRandom.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from '../support/serverProcess.js'
import { tempDir } from '../support/tempDir.js'
import { chromiumPath, launchChromium } from './support/launchChromium.js'

// [OPS4] The operators' live metrics page: /admin in Chromium, fed by GET /api/admin/stats,
// while a load generator writes; everyone not in ADMIN_EMAILS gets 404.

const SCREENSHOT = fileURLToPath(new URL('../../test-output/e2e-admin.png', import.meta.url))
const OPERATOR_EMAIL = 'ops-e2e@example.test'

let server: CliProcess
let baseUrl: string
let browser: Browser
let operator: TestUser
let member: TestUser
const dir = tempDir('collabcanvas-admin-')

beforeAll(async () => {
  chromiumPath()
  const started = await startOnFreePort({
    start: (port) =>
      startCli(['serve'], {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dir.path,
        LOG_LEVEL: 'info',
        ADMIN_EMAILS: `someone-else@example.test, ${OPERATOR_EMAIL.toUpperCase()}`,
        STATS_LOG_INTERVAL_SEC: '1',
      }),
    listening: (s, port) =>
      s.waitForStdout(new RegExp(listeningMessage(port).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 30_000),
    stop: (s) => killAndWait(s.child, s.exited),
    output: (s) => s.stdout() + s.stderr(),
  })
  server = started.server
  baseUrl = started.baseUrl
  await waitForHealth(baseUrl, server.child, () => server.stdout() + server.stderr())
  const api = fetchClient(baseUrl)
  operator = await registerUser(api, { email: OPERATOR_EMAIL, username: 'Operator' })
  member = await registerUser(api, { username: 'Member' })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  if (server) await killAndWait(server.child, server.exited)
  dir.remove()
})

async function pageFor(user: TestUser | undefined) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } })
  context.setDefaultTimeout(20_000)
  if (user) await context.addCookies([{ name: 'session', value: user.token, url: baseUrl }])
  return context.newPage()
}

/** The number after `label` in a chart's summary line ("In 123.4/s · Out 56/s"). */
const valueAfter = (text: string, label: string): number | undefined => {
  const match = new RegExp(`${label} ([\\d,.]+)`).exec(text)
  return match?.[1] === undefined ? undefined : Number(match[1].replace(/,/g, ''))
}

describe('[OPS4] /admin live metrics', () => {
  it('[OPS4] when an operator opens /admin while clients write, then the charts gain points and show the load (messages in and out, ack latency, connections), and a screenshot is saved', async () => {
    const page = await pageFor(operator)
    const response = await page.goto(`${baseUrl}/admin`)
    expect(response?.status()).toBe(200)
    await page.getByRole('heading', { name: 'Live metrics' }).waitFor()
    const messages = page.getByTestId('chart-messages')
    await expect
      .poll(async () => Number(await messages.getAttribute('data-points')), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1)
    const idleIn = valueAfter((await page.getByTestId('chart-messages-latest').textContent()) ?? '', 'In')

    // The load: two members writing to one canvas.
    const api = fetchClient(baseUrl)
    const writer2 = await registerUser(api, { username: 'Writer' })
    const canvas = await createCanvas(api, member, 'Admin load')
    await shareCanvas(api, member, canvas.id, writer2, 'editor')
    const writers = await Promise.all(
      [member, writer2].map((user, i) =>
        OpWriter.connect({
          baseUrl,
          canvasId: canvas.id,
          token: user.token,
          opIdPrefix: `admin-w${i}`,
          window: 8,
          opsPerSec: 150,
          random: seededRandom(4_200 + i),
        }),
      ),
    )
    try {
      for (const w of writers) w.start()
      const pointsBefore = Number(await messages.getAttribute('data-points'))
      await expect
        .poll(
          async () =>
            valueAfter((await page.getByTestId('chart-messages-latest').textContent()) ?? '', 'In') ?? 0,
          {
            timeout: 20_000,
          },
        )
        .toBeGreaterThan(50)
      expect(
        valueAfter((await page.getByTestId('chart-messages-latest').textContent()) ?? '', 'Out'),
      ).toBeGreaterThan(0)
      await expect
        .poll(
          async () =>
            valueAfter(
              (await page.getByTestId('chart-connections-latest').textContent()) ?? '',
              'Connections',
            ),
          {
            timeout: 10_000,
          },
        )
        .toBe(2)
      await expect
        .poll(
          async () =>
            valueAfter((await page.getByTestId('chart-ack-latency-latest').textContent()) ?? '', 'p99'),
          {
            timeout: 10_000,
          },
        )
        .toBeGreaterThan(0)
      // The charts moved: new points arrived while the load ran.
      expect(Number(await messages.getAttribute('data-points'))).toBeGreaterThan(pointsBefore)
      expect(idleIn ?? 0).toBeLessThan(50)
      await page.getByTestId('admin-instances').waitFor()
      await page.screenshot({ path: SCREENSHOT, fullPage: true })
    } finally {
      for (const w of writers) w.close()
    }
    // The 60 s stats line (1 s here) carries the same numbers in the server's log.
    const statsLines = server
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"msg":"stats"'))
      .map(
        (l) =>
          JSON.parse(l) as {
            connections: number
            messagesInPerSec: number
            eventLoopLagP99Ms: number
            rssBytes: number
          },
      )
    expect(statsLines.length).toBeGreaterThan(0)
    expect(Math.max(...statsLines.map((s) => s.messagesInPerSec))).toBeGreaterThan(0)
    expect(statsLines.at(-1)).toMatchObject({
      connections: expect.any(Number) as number,
      rssBytes: expect.any(Number) as number,
      eventLoopLagP99Ms: expect.any(Number) as number,
    })
  }, 90_000)

  it('[OPS4] when a signed-in non-operator or an anonymous visitor opens /admin or its endpoint, then each gets 404 and no numbers', async () => {
    for (const user of [member, undefined]) {
      const page = await pageFor(user)
      const response = await page.goto(`${baseUrl}/admin`)
      expect(response?.status(), user?.username ?? 'anonymous').toBe(404)
      expect(await page.content()).not.toContain('Live metrics')
      const api = await fetch(`${baseUrl}/api/admin/stats`, {
        headers: user ? { authorization: `Bearer ${user.token}` } : {},
      })
      expect(api.status).toBe(404)
      const body = (await api.json()) as { error: { code: string } }
      expect(body.error.code).toBe('not_found')
      await page.context().close()
    }
    // A forged or stale session is no operator either.
    const forged = await fetch(`${baseUrl}/api/admin/stats`, {
      headers: { authorization: `Bearer ${'A'.repeat(43)}` },
    })
    expect(forged.status).toBe(404)
  }, 60_000)
})
