import { defineConfig } from 'vitest/config'

/**
 * Tests that bound the server's memory under attack [W1–W4] measure the RSS of their own
 * process, garbage included. Beside ~50 other files on 2 cores, GC falls behind and the same
 * flood measured 67 MB of growth instead of 2 MB: they run last, one file at a time.
 */
const MEMORY_BOUND = ['test/realtime/hardeningW[1-4]*.test.ts']

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests listen on port 0 and use their own temp dirs, so files may run in parallel.
    pool: 'forks',
    // Worker threads started by src/ code load their .ts module through these hooks.
    execArgv: ['--import', './test/support/tsWorkerRegister.mjs'],
    projects: [
      {
        extends: true,
        test: { name: 'parallel', include: ['test/**/*.test.ts'], exclude: MEMORY_BOUND },
      },
      {
        extends: true,
        test: {
          name: 'memory-bound',
          include: MEMORY_BOUND,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
