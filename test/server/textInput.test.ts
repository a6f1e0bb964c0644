import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CanvasForUser } from '../../src/store/canvasStore.js'
import { expectError } from '../support/expectError.js'
import { createCanvas, registerUser, TEST_PASSWORD, uniqueEmail } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// [I2] Names shown to other people (usernames, canvas names) are plain visible text, unique
// for usernames; every string of every JSON body is well-formed UTF-16.

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

const NOT_A_NAME: [string, string][] = [
  ['only a zero-width space', '\u200b'],
  ['only zero-width joiners and a BOM', '\u200d\u200c\ufeff'],
  ['only a word joiner and a soft hyphen', '\u2060\u00ad'],
  ['only a Hangul filler', '\u3164'],
  ['only a blank Braille pattern', '\u2800'],
  ['only a combining mark', '\u0301'],
  ['only ideographic spaces', '\u3000\u3000'],
  ['a right-to-left override', 'evil\u202Etxt.exe'],
  ['a left-to-right embedding', 'a\u202Ab'],
  ['a pop directional formatting', 'a\u202Cb'],
  ['a first-strong isolate', 'a\u2068b'],
  ['a pop directional isolate', 'a\u2069b'],
  ['a C1 control (NEL)', 'a\u0085b'],
  ['a C1 control (CSI)', 'a\u009bb'],
  ['DEL', 'a\u007fb'],
  ['a line separator', 'a\u2028b'],
]

const A_NAME: string[] = ['Zoë', '日本語', 'مرحبا', '🎨🖌️ 👨‍👩‍👧', 'e\u0301 accent', 'a\u00a0b']

const register = (username: string) =>
  server.http.send({
    method: 'POST',
    url: '/api/register',
    json: { email: uniqueEmail('name'), username, password: TEST_PASSWORD },
  })

describe('[I2] usernames and canvas names are visible text', () => {
  it.each(NOT_A_NAME)('[I2] when a username is %s then 400 naming body.username', async (_case, username) => {
    expectError(await register(username), 400, 'invalid_input', 'body.username')
  })

  it.each(NOT_A_NAME)(
    '[I2] when a canvas is created or renamed to %s then 400 naming body.name and nothing changes',
    async (_case, name) => {
      const owner = await registerUser(server.http)
      const canvas = await createCanvas(server.http, owner, 'kept')
      expectError(
        await server.http.send({ method: 'POST', url: '/api/canvases', token: owner.token, json: { name } }),
        400,
        'invalid_input',
        'body.name',
      )
      expectError(
        await server.http.send({
          method: 'PATCH',
          url: `/api/canvases/${canvas.id}`,
          token: owner.token,
          json: { name },
        }),
        400,
        'invalid_input',
        'body.name',
      )
      const list = await server.http.send<{ canvases: CanvasForUser[] }>({
        method: 'GET',
        url: '/api/canvases',
        token: owner.token,
      })
      expect(list.body.canvases.map((c) => c.name)).toEqual(['kept'])
    },
  )

  it.each(A_NAME)('[I2] when a username or canvas name is %j then it is accepted verbatim', async (name) => {
    const res = await register(`${name} ${uniqueEmail('u').slice(0, 12)}`)
    expect(res.status, res.text).toBe(201)
    const owner = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner, name)
    expect(canvas.name).toBe(name)
  })
})

describe('[ST5] usernames are unique', () => {
  it.each([
    ['the same', (n: string) => n],
    ['upper case', (n: string) => n.toUpperCase()],
    [
      'full-width letters',
      (n: string) => n.replace(/[a-z]/g, (c) => String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0)),
    ],
  ])(
    '[ST5] when a username is taken and a new account asks for it in %s then 409 conflict naming body.username',
    async (_case, variant) => {
      const name = `grace${uniqueEmail('x')
        .replace(/[^a-z]/g, '')
        .slice(0, 10)}`
      expect((await register(name)).status).toBe(201)
      expectError(await register(variant(name)), 409, 'conflict', 'body.username')
    },
  )
})

describe('[I2] lone surrogates in any string of any body', () => {
  // JSON can spell half a surrogate pair (\ud800); stored, it would read back as U+FFFD.
  it.each([
    [
      'POST /api/register username',
      '/api/register',
      'body.username',
      (s: string) => `{"email":"${uniqueEmail('s')}","username":"${s}","password":"${TEST_PASSWORD}"}`,
    ],
    [
      'POST /api/register password',
      '/api/register',
      'body.password',
      (s: string) => `{"email":"${uniqueEmail('s')}","username":"ok","password":"long enough ${s}"}`,
    ],
    [
      'POST /api/login email',
      '/api/login',
      'body.email',
      (s: string) => `{"email":"a${s}@example.test","password":"x"}`,
    ],
    ['POST /api/canvases name', '/api/canvases', 'body.name', (s: string) => `{"name":"canvas ${s}"}`],
    [
      'POST /api/canvases unknown nested field',
      '/api/canvases',
      'body.extra.0.deep',
      (s: string) => `{"name":"n","extra":[{"deep":"${s}"}]}`,
    ],
  ])(
    '[I2] when %s holds a lone surrogate then 400 naming the field and nothing is stored',
    async (_case, url, field, body) => {
      const owner = await registerUser(server.http)
      for (const lone of ['\\ud800', '\\udfff', 'x\\ud83d', '\\ude00x']) {
        const res = await server.http.send({
          method: 'POST',
          url,
          token: owner.token,
          headers: { 'content-type': 'application/json' },
          payload: body(lone),
        })
        expectError(res, 400, 'invalid_input', field)
      }
      const list = await server.http.send<{ canvases: CanvasForUser[] }>({
        method: 'GET',
        url: '/api/canvases',
        token: owner.token,
      })
      expect(list.body.canvases).toEqual([])
    },
  )

  it('[I2] when a name holds a proper surrogate pair (an emoji spelled \\ud83c\\udfa8) then it is accepted and read back as sent', async () => {
    const owner = await registerUser(server.http)
    const res = await server.http.send<{ canvas: CanvasForUser }>({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"palette \\ud83c\\udfa8"}',
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.canvas.name).toBe('palette 🎨')
  })
})
