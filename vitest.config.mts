import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/api/**/*.test.ts', 'test/sync/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/clients/**/*.test.ts'],
    globalSetup: ['test/helpers/browser-preflight.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 60_000
  }
})
