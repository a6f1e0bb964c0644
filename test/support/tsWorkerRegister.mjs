// Vitest runs src/ as TypeScript, but a worker thread the code starts (the WAL checkpoint worker,
// `new Worker(new URL('./walCheckpointWorker.js', import.meta.url))`) is loaded by Node itself,
// which cannot run .ts. vitest.config.ts preloads this file (`execArgv: ['--import', …]`) into
// the test processes; worker threads inherit execArgv, so the hooks apply to them too. From
// dist/ no hook is needed: the compiled worker sits beside its owner.
import { register } from 'node:module'

register('./tsWorkerHooks.mjs', import.meta.url)
