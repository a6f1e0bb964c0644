import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { deflateRawSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { ApiRequest, ApiResponse } from '../support/apiClient.js'
import { imageHashOf } from '../../src/store/imageHash.js'
import { expectError } from '../support/expectError.js'
import {
  canvasWithRoles,
  createCanvas,
  registerUser,
  shareCanvas,
  type TestUser,
} from '../support/fixtures.js'
import { pngClaiming, solidImage, solidPng } from '../support/imageFixtures.js'
import { useTestSchema } from '../support/postgres.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { systemClock } from '../support/clock.js'

// Images on a canvas (docs/spec/images.md): uploads checked by content, limits, SVG rendered to
// PNG, served with safe headers to members only. A real server over real sockets.

const MAX_BYTES = 256 * 1024
let server: TestServer
beforeAll(async () => {
  server = await startTestServer({ env: { IMAGE_MAX_BYTES: String(MAX_BYTES) } })
})
afterAll(() => server.close())

interface UploadBody {
  image: { id: string; url: string; type: string; width: number; height: number; size: number }
}

function upload(
  canvasId: string,
  user: TestUser | undefined,
  payload: Buffer | string | undefined,
  headers: Record<string, string> = {},
): Promise<ApiResponse<UploadBody>> {
  const request: ApiRequest = { method: 'POST', url: `/api/canvases/${canvasId}/images`, headers }
  if (payload !== undefined) request.payload = payload
  if (user) request.token = user.token
  return server.http.send<UploadBody>(request)
}

async function fetchImage(url: string, user: TestUser | undefined, headers: Record<string, string> = {}) {
  const res = await fetch(new URL(url, server.baseUrl), {
    headers: { ...(user ? { authorization: `Bearer ${user.token}` } : {}), ...headers },
  })
  return { res, bytes: Buffer.from(await res.arrayBuffer()) }
}

/** The error message of a refusal (expectError has checked the body's shape). */
const messageOf = (res: ApiResponse<unknown>) => (res.body as { error: { message: string } }).error.message

/** A ZIP archive holding one file: what a .docx or a zip bomb starts as. */
function zipOf(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content)
  const header = Buffer.alloc(30)
  header.writeUInt32LE(0x04034b50, 0)
  header.writeUInt16LE(20, 4)
  header.writeUInt16LE(8, 8)
  header.writeUInt32LE(data.length, 18)
  header.writeUInt32LE(content.length, 22)
  header.writeUInt16LE(name.length, 26)
  return Buffer.concat([header, Buffer.from(name), data])
}

describe('[IMG5] the type is decided by the content', () => {
  it.each([
    ['PNG', () => solidPng(30, 20, [255, 0, 0]), 'image/png'],
    ['JPEG', () => solidImage('jpeg', 30, 20, [0, 255, 0]), 'image/jpeg'],
    ['GIF', () => solidImage('gif', 30, 20, [0, 0, 255]), 'image/gif'],
    ['WebP', () => solidImage('webp', 30, 20, [9, 9, 9]), 'image/webp'],
  ] as const)(
    '[IMG5] when a %s is uploaded under a misleading Content-Type, then it is stored as what it is, byte for byte',
    async (_name, make, type) => {
      const { owner, canvas } = await canvasWithRoles(server.http)
      const bytes = await make()
      const res = await upload(canvas.id, owner, bytes, { 'content-type': 'text/html' })
      expect(res.status, res.text).toBe(201)
      expect(res.body.image).toMatchObject({ type, width: 30, height: 20, size: bytes.length })
      expect(res.body.image.id).toMatch(/^[0-9a-f]{64}$/)
      expect(res.body.image.url).toBe(`/api/canvases/${canvas.id}/images/${res.body.image.id}`)
      const got = await fetchImage(res.body.image.url, owner)
      expect(got.res.status).toBe(200)
      expect(got.res.headers.get('content-type')).toBe(type)
      expect(Buffer.compare(got.bytes, bytes)).toBe(0)
    },
  )

  it.each([
    ['an HTML page named .png', Buffer.from('<!doctype html><html><script>alert(document.cookie)</script>')],
    ['a ZIP archive named .png', zipOf('word/document.xml', Buffer.alloc(100_000, 0x41))],
    ['a PDF', Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF')],
    ['plain text', Buffer.from('just some words, not a picture')],
    [
      'a PNG signature followed by garbage',
      Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 7)]),
    ],
    [
      'an HTML page with an <svg> inside',
      Buffer.from('<html><body><svg onload="alert(1)"></svg></body></html>'),
    ],
  ])(
    '[IMG5] when %s is sent as image/png, then it is refused with 415 and nothing is stored',
    async (_name, bytes) => {
      const { owner, canvas } = await canvasWithRoles(server.http)
      const res = await upload(canvas.id, owner, bytes, {
        'content-type': 'image/png',
        'content-disposition': 'attachment; filename="photo.png"',
      })
      expectError(res, 415, 'unsupported_media_type', 'body')
      expect(messageOf(res)).toMatch(/PNG, JPEG, GIF, WebP or SVG|damaged/)
      expect(await server.deps.images.get(canvas.id, imageHashOf(bytes))).toBeUndefined()
    },
  )
})

describe('[IMG6] limits', () => {
  it('[IMG6] when the body is over IMAGE_MAX_BYTES, then 413 says the limit in plain words', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const res = await upload(canvas.id, owner, Buffer.alloc(MAX_BYTES + 1, 1), {
      'content-type': 'application/octet-stream',
    })
    expectError(res, 413, 'payload_too_large', 'body')
    expect(messageOf(res)).toBe('the image is larger than 256 KiB; upload a smaller one')
  })

  it('[IMG6] when a tiny PNG claims 100,000 × 100,000 pixels, then it is refused from its header alone', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const bomb = pngClaiming(100_000, 100_000)
    expect(bomb.length).toBeLessThan(2_000)
    const res = await upload(canvas.id, owner, bomb, { 'content-type': 'image/png' })
    expectError(res, 413, 'payload_too_large', 'body')
    // Decoding it would need 30 GB: the answer comes from the header's numbers.
    expect(messageOf(res)).toBe('the image is 100000 × 100000 pixels; at most 8192 pixels a side are allowed')
  })

  it('[IMG6] when a PNG is within the side limit but over the pixel count, then it is refused', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const res = await upload(canvas.id, owner, pngClaiming(8_000, 8_000))
    expectError(res, 413, 'payload_too_large', 'body')
    expect(messageOf(res)).toBe('the image has 64 million pixels; at most 40 million are allowed')
  })
})

describe('[IMG7] SVG is rendered to PNG', () => {
  it('[IMG7] when an SVG carries script, event handlers and external references, then what is stored is a PNG of the drawing and nothing was fetched', async () => {
    const hits: string[] = []
    const lure = http.createServer((req, res) => {
      hits.push(req.url ?? '')
      res.end()
    })
    await new Promise<void>((resolve) => lure.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => lure.close(() => resolve())))
    const base = `http://127.0.0.1:${(lure.address() as AddressInfo).port}`
    const svg = `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="60" height="40" onload="alert('onload')">
  <script>alert('script')</script>
  <rect width="60" height="40" fill="#0000ff" onclick="alert('click')"/>
  <image href="${base}/tracker.png" x="0" y="0" width="10" height="10"/>
  <image xlink:href="${base}/legacy.png" x="10" y="0" width="10" height="10"/>
  <use href="${base}/sprites.svg#icon"/>
  <foreignObject width="60" height="40"><iframe xmlns="http://www.w3.org/1999/xhtml" src="${base}/frame"/></foreignObject>
  <style>@import url(${base}/style.css); rect { fill: url(${base}/fill.svg#p) #0000ff }</style>
</svg>`
    const { owner, canvas } = await canvasWithRoles(server.http)
    const res = await upload(canvas.id, owner, svg, { 'content-type': 'image/svg+xml' })
    expect(res.status, res.text).toBe(201)
    expect(res.body.image).toMatchObject({ type: 'image/png', width: 60, height: 40 })
    const got = await fetchImage(res.body.image.url, owner)
    expect(got.res.headers.get('content-type')).toBe('image/png')
    expect(got.bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
    expect(got.bytes.toString('latin1')).not.toMatch(/script|alert|onload|href/i)
    // The drawing itself survived: the middle pixel is the rectangle's blue.
    const { data } = await sharp(got.bytes).raw().toBuffer({ resolveWithObject: true })
    const middle = (20 * 60 + 30) * 4
    expect([...data.subarray(middle, middle + 3)]).toEqual([0, 0, 255])
    expect(hits).toEqual([])
  })

  it('[IMG7] when an SVG declares entities (a billion laughs), then it is refused', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const laughs = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>`
    expectError(await upload(canvas.id, owner, laughs), 415, 'unsupported_media_type', 'body')
  })

  it('[IMG7] when an SVG declares a huge size, then it is rendered scaled down to 4,096 pixels a side', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="50000"><rect width="100%" height="100%" fill="red"/></svg>'
    const res = await upload(canvas.id, owner, svg)
    expect(res.status, res.text).toBe(201)
    expect(res.body.image).toMatchObject({ type: 'image/png', width: 4_096, height: 2_048 })
  })
})

describe('[IMG8] malformed uploads', () => {
  it('[IMG8] when the body is empty, then 400 says to send the image', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    for (const payload of [undefined, '']) {
      const res = await upload(canvas.id, owner, payload, { 'content-type': 'image/png' })
      expectError(res, 400, 'invalid_input', 'body')
      expect(messageOf(res)).toMatch(/empty/)
    }
  })

  it('[IMG8] when the image comes as a multipart form (well-formed or not), then 400 says to send the file itself', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const png = await solidPng(3, 3, [1, 2, 3])
    const form = Buffer.concat([
      Buffer.from(
        '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n',
      ),
      png,
      Buffer.from('\r\n--XyZ--\r\n'),
    ])
    const truncated = form.subarray(0, 60)
    for (const payload of [form, truncated]) {
      const res = await upload(canvas.id, owner, payload, {
        'content-type': 'multipart/form-data; boundary=XyZ',
      })
      expectError(res, 400, 'invalid_input', 'body')
      expect(messageOf(res)).toMatch(/not a multipart form/)
    }
  })

  it('[IMG8] when the image id in the URL is not a hash, then 400 names it', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const res = await server.http.send({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/images/..%2F..%2Fetc%2Fpasswd`,
      token: owner.token,
    })
    expectError(res, 400, 'invalid_input', 'params.imageId')
  })
})

describe('[IMG9] served with safe headers', () => {
  it('[IMG9] when a member fetches an image, then it comes with nosniff, a sandboxing CSP and private immutable caching; a repeat with its ETag is 304', async () => {
    const { owner, viewer, canvas } = await canvasWithRoles(server.http)
    const res = await upload(canvas.id, owner, await solidPng(8, 8, [0, 128, 0]))
    const got = await fetchImage(res.body.image.url, viewer)
    expect(got.res.status).toBe(200)
    expect(Object.fromEntries(got.res.headers)).toMatchObject({
      'content-type': 'image/png',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, max-age=31536000, immutable',
      'cross-origin-resource-policy': 'same-origin',
      etag: `"${res.body.image.id}"`,
    })
    const again = await fetchImage(res.body.image.url, viewer, { 'if-none-match': `"${res.body.image.id}"` })
    expect(again.res.status).toBe(304)
    expect(again.bytes.length).toBe(0)
  })

  it('[IMG1] when the same image is uploaded twice, then both answers name one stored image', async () => {
    const { owner, editor, canvas } = await canvasWithRoles(server.http)
    const png = await solidPng(6, 6, [1, 1, 1])
    const first = await upload(canvas.id, owner, png)
    const second = await upload(canvas.id, editor, png)
    expect(second.status, second.text).toBe(201)
    expect(second.body.image).toEqual(first.body.image)
  })
})

describe('[IMG10] only members of the canvas', () => {
  it('[IMG10] when a viewer uploads, then 403, and an anonymous caller 401, a stranger 404', async () => {
    const { viewer, stranger, canvas } = await canvasWithRoles(server.http)
    const png = await solidPng(4, 4, [5, 5, 5])
    expectError(await upload(canvas.id, viewer, png), 403, 'forbidden')
    expectError(await upload(canvas.id, undefined, png), 401, 'unauthorized')
    expectError(await upload(canvas.id, stranger, png), 404, 'not_found')
  })

  it("[IMG10] when a member of another canvas asks for this canvas's image, by its URL or through their own canvas, then 404", async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const res = await upload(canvas.id, owner, await solidPng(7, 7, [70, 7, 7]))
    const outsider = await registerUser(server.http)
    const theirs = await createCanvas(server.http, outsider, 'Elsewhere')
    const direct = await fetchImage(res.body.image.url, outsider)
    expect(direct.res.status).toBe(404)
    expect(direct.bytes.toString()).not.toContain('PNG')
    // Knowing the hash opens nothing on a canvas it was not uploaded to.
    const sideways = await fetchImage(`/api/canvases/${theirs.id}/images/${res.body.image.id}`, outsider)
    expect(sideways.res.status).toBe(404)
    expect((await fetchImage(res.body.image.url, undefined)).res.status).toBe(401)
    // Once shared with them, the same URL works.
    await shareCanvas(server.http, owner, canvas.id, outsider, 'viewer')
    expect((await fetchImage(res.body.image.url, outsider)).res.status).toBe(200)
  })
})

describe('[IMG2] in the store the deployment uses', () => {
  it('[IMG2] when the server runs on PostgreSQL, then an upload is stored there and served back', async () => {
    const schema = await useTestSchema()
    const pgServer = await startTestServer({ env: { DATABASE_URL: schema.url }, clock: systemClock() })
    onTestFinished(() => pgServer.close())
    const owner = await registerUser(pgServer.http)
    const canvas = await createCanvas(pgServer.http, owner, 'On PostgreSQL')
    const png = await solidPng(9, 4, [3, 4, 5])
    const res = await pgServer.http.send<UploadBody>({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/images`,
      token: owner.token,
      payload: png,
    })
    expect(res.status, res.text).toBe(201)
    const stored = await pgServer.deps.images.get(canvas.id, res.body.image.id)
    expect(stored && Buffer.compare(stored.bytes, png)).toBe(0)
    expect(pgServer.deps.images.constructor.name).toBe('PostgresImageStore')
  })
})
