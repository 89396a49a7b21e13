import { defineProject } from 'vitest/config'

// The soak runs real processes and restarts its own PostgreSQL: minutes, not seconds.
export default defineProject({ test: { name: 'chaos', include: ['test/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 120_000 } })
