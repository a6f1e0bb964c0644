// Node module hooks for test processes (registered by tsWorkerRegister.mjs): a `.js` import of
// ours that does not exist resolves to the `.ts` source beside it (the NodeNext convention tsc
// compiles), and `.ts` files load transpiled by TypeScript. Only files under src/ are touched.
import fs from 'node:fs'
import { URL } from 'node:url'
import ts from 'typescript'

const SRC = new URL('../../src/', import.meta.url).href

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
  const { outputText } = ts.transpileModule(fs.readFileSync(new URL(url), 'utf8'), {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2023,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  })
  return { format: 'module', source: outputText, shortCircuit: true }
}
