// Node module hooks for test processes (registered by tsWorkerRegister.mjs): a `.js` import of
// ours that does not exist resolves to the `.ts` source beside it (the NodeNext convention tsc
// compiles), and `.ts` files load transpiled by TypeScript. Only files under src/ are touched.
//
// Every worker thread runs its own copy of these hooks, and importing TypeScript took ~4 s per
// worker on a loaded machine (every test server starts a checkpoint worker): so the output is
// cached on disk by the source's hash, and TypeScript is imported only on a cache miss.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath, URL } from 'node:url'

const SRC = new URL('../../src/', import.meta.url).href
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/ts-worker-hooks/', import.meta.url))

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js')) throw err
    const url = new URL(specifier, context.parentURL)
    if (!url.href.startsWith(SRC)) throw err
    return nextResolve(url.href.replace(/\.js$/, '.ts'), context)
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith(SRC) || !url.endsWith('.ts')) return nextLoad(url, context)
  const source = fs.readFileSync(new URL(url), 'utf8')
  const cached = path.join(CACHE_DIR, `${createHash('sha256').update(url).update(source).digest('hex')}.js`)
  if (fs.existsSync(cached))
    return { format: 'module', source: fs.readFileSync(cached, 'utf8'), shortCircuit: true }
  const { default: ts } = await import('typescript')
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2023,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  })
  // Written aside then renamed: test processes running in parallel never read half a file.
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  const partial = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`
  fs.writeFileSync(partial, outputText)
  fs.renameSync(partial, cached)
  return { format: 'module', source: outputText, shortCircuit: true }
}
