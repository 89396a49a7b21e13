import { memoryStore } from '@durable/testing'
import { testRunStore } from '@durable/testing/conformance'

testRunStore('memoryStore', async () => ({ store: memoryStore() }))
