import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DOCUMENT_HEADERS } from './security.js'

/** `<repo>/dist/web`, from src/server/plugins (tests) and dist/server/plugins (production) alike. */
export const WEB_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url))

/** Paths the web app never owns: they answer JSON 404s, not the app's page. */
const NOT_THE_APP = /^\/(api|auth|ws)(\/|$)|^\/(health|metrics)$/

/**
 * Serves the built web app (Vite output) and answers its client-side routes (/canvas/:id, …)
 * with index.html. Returns the not-found fallback, or undefined when the app is not built.
 */
export async function registerWebApp(
  app: FastifyInstance,
  webRoot = WEB_ROOT,
): Promise<((request: FastifyRequest, reply: FastifyReply) => boolean) | undefined> {
  if (!fs.existsSync(`${webRoot}/index.html`)) {
    app.log.warn({ webRoot }, 'web app not built: run `npm run build`')
    return undefined
  }
  await app.register(fastifyStatic, {
    root: webRoot,
    index: false,
    setHeaders: (res, filePath) => {
      // The page and its files get a document's protection, not just an API response's.
      void res.headers(DOCUMENT_HEADERS)
      // Vite names assets by content hash: they never change, so they may be cached for good.
      void res.header(
        'cache-control',
        filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
  })
  app.get('/', (_request, reply) => reply.sendFile('index.html', { maxAge: 0 }))
  return (request, reply) => {
    if (request.method !== 'GET' || NOT_THE_APP.test(request.url)) return false
    void reply.code(200).sendFile('index.html', { maxAge: 0 })
    return true
  }
}
