import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests listen on port 0 and use their own temp dirs, so files may run in parallel.
    pool: 'forks',
  },
})
