import { defineWorkflow } from '@durable/core'

/** The `hosts` scenario's workflow: three steps that do nothing, so every cost is durable's. */
export const threeSteps = defineWorkflow<{ i: number }>('three-steps')
  .step('a', async () => 1)
  .step('b', async () => 2)
  .step('c', async () => 3)
