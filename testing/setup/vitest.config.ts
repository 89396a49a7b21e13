import { configDefaults, defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'test-setup',
    include: ['test/**/*.test.ts'],
    // The engine app's tests run inside the app that node-matrix.test.ts installs, not here.
    exclude: [...configDefaults.exclude, 'test/engine-app/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
