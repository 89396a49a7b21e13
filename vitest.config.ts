import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['./testing/global-setup.ts'],
    projects: ['packages/*', 'examples/*/vitest.config.ts', 'chaos', 'testing/setup'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
