import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError, notFound } from '../../protocol/appError.js'
import type { ImageBody } from '../../protocol/httpTypes.js'
import { IMAGE_ID_PATTERN, imageUrl } from '../../protocol/images.js'
import type { Deps } from '../deps.js'
import { intakeImage, tooManyBytes } from '../images/imageIntake.js'
import { canvasAccess } from './canvasAccess.js'
import { CanvasParams, Id } from './canvasRoutes.js'

const ImageParams = Type.Object({ id: Id, imageId: Type.String({ pattern: IMAGE_ID_PATTERN }) })

/**
 * What a stored image is served with [IMG9]: its sniffed type and nothing else (nosniff), no
 * script, plugin or request even if a browser were to open it as a document (CSP sandbox), and
 * cached only by the member's own browser. The URL names the content's hash, so it never changes.
 */
export const IMAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; sandbox",
  'x-content-type-options': 'nosniff',
  'cache-control': 'private, max-age=31536000, immutable',
  'cross-origin-resource-policy': 'same-origin',
  'content-disposition': 'inline',
})

/**
 * Images on a canvas (docs/editor.md "Images"): `POST /api/canvases/:id/images` takes the image
 * file itself as the body (any Content-Type: only the bytes decide what it is), and
 * `GET /api/canvases/:id/images/:imageId` serves it to the canvas's members only.
 */
export const imageRoutes =
  (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, store, images, config } = deps
    const canvasFor = canvasAccess(accounts, store)
    const limits = config.images

    // In this plugin only: every body is raw bytes, up to the image limit; the JSON parser of
    // the rest of the API does not apply here.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxBytes }, (_req, body, done) =>
      done(null, body),
    )
    // An error handler that throws hands the error to the app's own: same format, same logging.
    app.setErrorHandler((err: FastifyError) => {
      throw err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? tooManyBytes(limits) : err
    })

    const uploaders = new WeakMap<FastifyRequest, { userId: string; canvasId: string }>()

    app.post(
      '/api/canvases/:id/images',
      {
        bodyLimit: limits.maxBytes,
        // Before the body is read: a stranger or a viewer does not get to send 10 MiB first.
        onRequest: async (request) => {
          const { id } = request.params
          const { user, canvas } = await canvasFor(request, id)
          uploaders.set(request, { userId: user.id, canvasId: canvas.id })
        },
        schema: { params: CanvasParams },
      },
      async (request, reply) => {
        const uploader = uploaders.get(request)
        if (uploader === undefined) throw new AppError('internal', 'upload without an access check')
        if (/^multipart\//i.test(request.headers['content-type'] ?? '')) {
          throw new AppError(
            'invalid_input',
            'send the image file itself as the request body, not a multipart form',
            { field: 'body' },
          )
        }
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const accepted = await intakeImage(body, limits)
        const stored = await images.put({
          ...accepted,
          canvasId: uploader.canvasId,
          createdBy: uploader.userId,
        })
        const answer: ImageBody = {
          image: {
            id: stored.hash,
            url: imageUrl(stored.canvasId, stored.hash),
            type: stored.type,
            width: stored.width,
            height: stored.height,
            size: stored.size,
          },
        }
        return reply.code(201).send(answer)
      },
    )

    app.get(
      '/api/canvases/:id/images/:imageId',
      { schema: { params: ImageParams } },
      async (request, reply) => {
        const { canvas } = await canvasFor(request, request.params.id)
        const etag = `"${request.params.imageId}"`
        void reply.headers(IMAGE_HEADERS).header('etag', etag)
        // The hash is the content: a browser that has it needs no bytes, only our access check.
        if (request.headers['if-none-match'] === etag) return reply.code(304).send()
        const image = await images.get(canvas.id, request.params.imageId)
        if (image === undefined) throw notFound('image')
        return reply.type(image.type).send(image.bytes)
      },
    )
  }
