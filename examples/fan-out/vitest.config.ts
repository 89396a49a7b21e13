import { defineProject } from 'vitest/config'

export default defineProject({ test: { name: 'example-fan-out', include: ['test/**/*.test.ts'], testTimeout: 120_000 } })
