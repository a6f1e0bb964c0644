import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/server/app.js'
import { WEB_ROOT } from '../../src/server/plugins/webApp.js'
import { loadConfig } from '../../src/server/config.js'
import { createDeps, type Deps } from '../../src/server/deps.js'
import { tempDir } from '../support/tempDir.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function appWithWebRoot(files: Record<string, string> | undefined) {
  const data = tempDir()
  const web = tempDir('collabcanvas-web-')
  for (const [name, content] of Object.entries(files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(web.path, name)), { recursive: true })
    fs.writeFileSync(path.join(web.path, name), content)
  }
  const deps: Deps = {
    ...createDeps(loadConfig({ DATA_DIR: data.path, LOG_LEVEL: 'silent' })),
    webRoot: web.path,
  }
  const app = await buildApp(deps)
  cleanups.push(
    () => data.remove(),
    () => web.remove(),
    () => deps.close(),
    () => app.close(),
  )
  return app
}

describe('the web app', () => {
  it('when built, then / and client-side routes answer index.html and assets are cached for good', async () => {
    const app = await appWithWebRoot({
      'index.html': '<!doctype html><title>CollabCanvas</title>',
      'assets/app-abc123.js': 'x',
    })
    for (const url of ['/', '/canvas/abc', '/login']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })
      expect(res.statusCode, url).toBe(200)
      expect(res.body).toContain('<title>CollabCanvas</title>')
      // A document gets helmet's whole set, not only an API response's four [A5].
      expect(res.headers['content-security-policy']).toContain("object-src 'none'")
      expect(res.headers['content-security-policy']).toContain("script-src 'self'")
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
    }
    const asset = await app.inject({ method: 'GET', url: '/assets/app-abc123.js' })
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['cache-control']).toContain('immutable')
  })

  it('when a path belongs to the API, then it stays a JSON 404, never the page', async () => {
    const app = await appWithWebRoot({ 'index.html': '<!doctype html>' })
    for (const url of ['/api/nope', '/api', '/auth/nope', '/ws/x/y']) {
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json()).toMatchObject({ error: { code: 'not_found' } })
    }
    const post = await app.inject({ method: 'POST', url: '/canvas/abc', payload: {} })
    expect(post.statusCode).toBe(404)
  })

  it('when the app is not built, then pages are JSON 404s and the API still works', async () => {
    const app = await appWithWebRoot(undefined)
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(404)
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
  })
})

describe('the built web app', () => {
  it('when built then it ships no source maps: no .map file, no sourceMappingURL, and GET of a map is not one', async () => {
    const files = fs.readdirSync(WEB_ROOT, { recursive: true, encoding: 'utf8' })
    const scripts = files.filter((f) => f.endsWith('.js'))
    expect(scripts.length, 'run `npm run build` first').toBeGreaterThan(0)
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    for (const script of scripts) {
      expect(fs.readFileSync(path.join(WEB_ROOT, script), 'utf8'), script).not.toMatch(/sourceMappingURL=/)
    }
    const data = tempDir()
    const deps = createDeps(loadConfig({ DATA_DIR: data.path, LOG_LEVEL: 'silent' }))
    const app = await buildApp(deps)
    cleanups.push(
      () => data.remove(),
      () => deps.close(),
      () => app.close(),
    )
    const res = await app.inject({
      method: 'GET',
      url: `/${scripts[0]?.replaceAll(path.sep, '/') ?? ''}.map`,
    })
    // At most the app's page (the client-side route fallback), never a map.
    expect(res.headers['content-type'] ?? '').not.toMatch(/json/)
    expect(res.body).not.toContain('"mappings"')
    expect(res.body).not.toContain('"sourcesContent"')
  })
})
