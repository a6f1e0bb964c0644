import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { THUMBNAIL_MAX_OBJECTS } from '../../src/core/canvasThumbnail.js'
import type { NewObject } from '../../src/protocol/objects.js'
import type { CanvasListing } from '../../src/server/routes/canvasListing.js'
import { expectError } from '../support/expectError.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../support/fixtures.js'
import { createTestSchema, type TestSchema } from '../support/postgres.js'
import { canvasState } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient } from '../support/wsTestClient.js'

// The canvas list's server side on both databases: thumbnails [LIST1], duplicating a canvas
// [LIST2], "Edited …" from the last edit [LIST3] (docs/protocol.md "Canvases").

const rect = (id: string, extra: Partial<NewObject> = {}): NewObject => ({
  id,
  type: 'rect',
  x: 10,
  y: 20,
  width: 100,
  height: 50,
  fill: '#ff0000',
  ...extra,
})

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`the canvas list on ${database}`, () => {
    let server: TestServer
    let schema: TestSchema | undefined
    let owner: TestUser
    let viewer: TestUser
    let stranger: TestUser

    beforeAll(async () => {
      schema = database === 'postgres' ? await createTestSchema() : undefined
      server = await startTestServer(schema ? { env: { DATABASE_URL: schema.url } } : {})
      ;[owner, viewer, stranger] = await Promise.all([
        registerUser(server.http),
        registerUser(server.http),
        registerUser(server.http),
      ])
    })
    afterAll(async () => {
      await server?.close()
      await schema?.drop()
    })

    async function seed(canvasId: string, user: TestUser, objects: NewObject[]): Promise<void> {
      const ws = await WsTestClient.connect(server.baseUrl, canvasId, { token: user.token })
      // opIds are unique per user: a repeated one is a resend, stored once [ROOM20].
      const run = randomUUID()
      for (const [i, object] of objects.entries())
        ws.send({ type: 'object-create', opId: `${run}-${i}`, object })
      await ws.waitForAck(`${run}-${objects.length - 1}`)
      ws.close()
    }

    const list = async (user: TestUser) => {
      const res = await server.http.send<{ canvases: CanvasListing[] }>({
        method: 'GET',
        url: '/api/canvases',
        token: user.token,
      })
      expect(res.status, res.text).toBe(200)
      return res.body.canvases
    }
    const duplicate = (canvasId: string, user: TestUser, body?: unknown) =>
      server.http.send<{ canvas: CanvasListing }>({
        method: 'POST',
        url: `/api/canvases/${canvasId}/duplicate`,
        token: user.token,
        ...(body !== undefined ? { json: body } : {}),
      })
    const thumbnail = (canvasId: string, user: TestUser, query = '', headers: Record<string, string> = {}) =>
      server.http.send({
        method: 'GET',
        url: `/api/canvases/${canvasId}/thumbnail${query}`,
        token: user.token,
        headers,
      })

    it('[LIST3] when a canvas is edited, renamed and another is made later, then "Edited" is the last edit and the list is ordered by it', async () => {
      const user = await registerUser(server.http)
      const edited = await createCanvas(server.http, user, 'edited')
      server.clock.advance(60_000)
      await seed(edited.id, user, [rect('a')])
      const editAt = new Date(server.clock.now()).toISOString()
      server.clock.advance(60_000)
      const renamed = await server.http.send({
        method: 'PATCH',
        url: `/api/canvases/${edited.id}`,
        token: user.token,
        json: { name: 'edited, renamed' },
      })
      expect(renamed.status).toBe(200)
      server.clock.advance(60_000)
      const later = await createCanvas(server.http, user, 'made later')
      let canvases = await list(user)
      expect(canvases.map((c) => [c.name, c.seq, c.editedAt])).toEqual([
        ['made later', 0, later.createdAt],
        ['edited, renamed', 1, editAt],
      ])
      // The rename moved updatedAt, not editedAt.
      expect(canvases[1]?.updatedAt).not.toBe(editAt)

      server.clock.advance(60_000)
      await seed(edited.id, user, [rect('b')])
      canvases = await list(user)
      expect(canvases.map((c) => [c.name, c.seq])).toEqual([
        ['edited, renamed', 2],
        ['made later', 0],
      ])
      expect(canvases[0]?.editedAt).toBe(new Date(server.clock.now()).toISOString())
    })

    it('[LIST1] when a member asks for a thumbnail, then it is an SVG of the objects, escaped, cached by seq, and revalidates with its ETag', async () => {
      const canvas = await createCanvas(server.http, owner, 'pictured')
      await shareCanvas(server.http, owner, canvas.id, viewer, 'viewer')
      await seed(canvas.id, owner, [
        rect('r', { fill: '#00ff00' }),
        {
          id: 't',
          type: 'text',
          x: 0,
          y: 100,
          width: 200,
          height: 30,
          text: '<script>alert(1)</script> & co',
        },
        { id: 'e', type: 'ellipse', x: 200, y: 0, width: 40, height: 40, fill: '#0000ff' },
      ])
      const res = await thumbnail(canvas.id, viewer, '?v=3')
      expect(res.status, res.text).toBe(200)
      expect(res.headers['content-type']).toBe('image/svg+xml; charset=utf-8')
      expect(res.headers['cache-control']).toBe('private, max-age=86400')
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'")
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers.etag).toBe('"3"')
      expect(res.text).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      expect(res.text).toContain('fill="#00ff00"')
      expect(res.text).toContain('<ellipse')
      expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co')
      expect(res.text).not.toContain('<script')

      const again = await thumbnail(canvas.id, viewer, '', { 'if-none-match': '"3"' })
      expect(again.status).toBe(304)
      expect(again.headers['cache-control']).toBe('private, no-cache')

      // A change moves the seq: a new picture, a new ETag.
      const ws = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
      ws.send({ type: 'object-update', opId: 'u', id: 'r', changes: { fill: '#123456' } })
      await ws.waitForAck('u')
      ws.close()
      const changed = await thumbnail(canvas.id, owner, '', { 'if-none-match': '"3"' })
      expect(changed.status).toBe(200)
      expect(changed.headers.etag).toBe('"4"')
      expect(changed.text).toContain('fill="#123456"')
    })

    it(`[LIST1] when a canvas holds more objects than a thumbnail draws, then it draws ${THUMBNAIL_MAX_OBJECTS}, and an empty canvas gives an empty picture`, async () => {
      const canvas = await createCanvas(server.http, owner, 'crowded')
      await seed(
        canvas.id,
        owner,
        Array.from({ length: THUMBNAIL_MAX_OBJECTS + 50 }, (_, i) => rect(`r${i}`, { x: i * 3 })),
      )
      const res = await thumbnail(canvas.id, owner)
      expect(res.text.match(/<rect /g)?.length).toBe(THUMBNAIL_MAX_OBJECTS)
      const empty = await createCanvas(server.http, owner, 'empty')
      const blank = await thumbnail(empty.id, owner)
      expect(blank.status).toBe(200)
      expect(blank.text).not.toMatch(/<(rect|ellipse|polyline|text)/)
    })

    it('[LIST1] when a stranger or anonymous asks for a thumbnail, or for an unknown canvas, or with a bad v, then 404, 401 or 400', async () => {
      const canvas = await createCanvas(server.http, owner, 'private')
      expectError(await thumbnail(canvas.id, stranger), 404, 'not_found')
      expectError(await thumbnail('no-such-canvas', owner), 404, 'not_found')
      expectError(
        await server.http.send({ method: 'GET', url: `/api/canvases/${canvas.id}/thumbnail` }),
        401,
        'unauthorized',
      )
      expectError(await thumbnail(canvas.id, owner, '?v=abc'), 400, 'invalid_input', 'querystring.v')
      expectError(await thumbnail(canvas.id, owner, '?w=1'), 400, 'invalid_input', 'querystring.w')
    })

    it('[LIST2] when a viewer duplicates a canvas, then the copy is theirs, named "… (copy)", with every object, groups and bindings intact, and the original is unchanged', async () => {
      const canvas = await createCanvas(server.http, owner, 'Plan')
      await shareCanvas(server.http, owner, canvas.id, viewer, 'viewer')
      await seed(canvas.id, owner, [
        { id: 'g', type: 'group', x: 0, y: 0, width: 0, height: 0 },
        rect('a', { parentId: 'g' }),
        rect('b', { x: 300, parentId: 'g' }),
        { id: 'c', type: 'arrow', x: 0, y: 0, points: [110, 45, 300, 45], startId: 'a', endId: 'b' },
      ])
      const before = await canvasState(server.http, canvas.id, owner)

      const res = await duplicate(canvas.id, viewer)
      expect(res.status, res.text).toBe(201)
      const copy = res.body.canvas
      expect(copy).toMatchObject({ name: 'Plan (copy)', ownerId: viewer.id, role: 'owner', seq: 4 })
      expect(copy.id).not.toBe(canvas.id)
      const copied = await canvasState(server.http, copy.id, viewer)
      const strip = (objects: typeof copied.objects) =>
        objects
          .map(({ createdBy: _c, updatedAt: _u, version: _v, ...props }) => props)
          .sort((x, y) => x.id.localeCompare(y.id))
      expect(strip(copied.objects)).toEqual(strip(before.objects))
      expect(copied.objects.every((o) => o.createdBy === viewer.id && o.version === 1)).toBe(true)
      expect(await canvasState(server.http, canvas.id, owner)).toEqual(before)
      // The copy is listed for the viewer as owner, and not for the original's owner.
      expect((await list(viewer)).find((c) => c.id === copy.id)).toMatchObject({ role: 'owner', seq: 4 })
      expect((await list(owner)).some((c) => c.id === copy.id)).toBe(false)

      const named = await duplicate(canvas.id, owner, { name: '  Plan B  ' })
      expect(named.status, named.text).toBe(201)
      expect(named.body.canvas.name).toBe('Plan B')
      const empty = await createCanvas(server.http, owner, 'x'.repeat(200))
      const long = await duplicate(empty.id, owner, {})
      expect(long.status, long.text).toBe(201)
      expect(long.body.canvas).toMatchObject({ name: `${'x'.repeat(193)} (copy)`, seq: 0 })
    })

    it("[LIST2] when duplicating an unknown canvas, a stranger's, anonymously, or with a malformed, oversized or extra body, then 404, 401, 400 or 413, and no canvas is made", async () => {
      const canvas = await createCanvas(server.http, owner, 'guarded')
      const countBefore = (await list(owner)).length
      expectError(await duplicate('no-such-canvas', owner), 404, 'not_found')
      expectError(await duplicate(canvas.id, stranger), 404, 'not_found')
      expectError(
        await server.http.send({ method: 'POST', url: `/api/canvases/${canvas.id}/duplicate` }),
        401,
        'unauthorized',
      )
      expectError(await duplicate(canvas.id, owner, { name: '' }), 400, 'invalid_input', 'body.name')
      expectError(
        await duplicate(canvas.id, owner, { name: 'n'.repeat(201) }),
        400,
        'invalid_input',
        'body.name',
      )
      expectError(await duplicate(canvas.id, owner, { name: 'a\u202eb' }), 400, 'invalid_input', 'body.name')
      expectError(await duplicate(canvas.id, owner, { name: 7 }), 400, 'invalid_input', 'body.name')
      expectError(
        await duplicate(canvas.id, owner, { ownerId: stranger.id }),
        400,
        'invalid_input',
        'body.ownerId',
      )
      expectError(await duplicate(canvas.id, owner, ['x']), 400, 'invalid_input', 'body')
      expectError(
        await server.http.send({
          method: 'POST',
          url: `/api/canvases/${canvas.id}/duplicate`,
          token: owner.token,
          headers: { 'content-type': 'application/json' },
          payload: '{"name": ',
        }),
        400,
        'invalid_input',
        'body',
      )
      expectError(
        await server.http.send({
          method: 'POST',
          url: `/api/canvases/${canvas.id}/duplicate`,
          token: owner.token,
          json: { name: 'big', pad: 'x'.repeat(2 * 1024 * 1024) },
        }),
        413,
        'payload_too_large',
      )
      expect((await list(owner)).length).toBe(countBefore)
      expect((await list(stranger)).length).toBe(0)
    })
  })
}
