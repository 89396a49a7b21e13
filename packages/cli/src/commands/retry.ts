import { isDurableError } from '@durable/core'
import type { RunSnapshot } from '@durable/provider'
import { CliError } from '../cli-error.js'
import type { Command } from '../command.js'
import { loadWorkflows, type LoadedWorkflows } from '../load-workflows.js'
import { explainRunError, statusOf } from '../run-errors.js'

/**
 * `durable retry <id> --workflows <module>`: starts a `failed` run again at the step that failed,
 * with a fresh retry budget. Resuming runs the workflow's state machine, so the run's workflow
 * must come from `--workflows`, an ES module that exports it.
 */
export const retryCommand: Command = {
  name: 'retry',
  summary: 'Start a failed run again at the step that failed (needs --workflows).',
  args: ['id'],
  options: { workflows: { type: 'string' } },
  flagHelp: [['--workflows MODULE', "an ES module that exports your workflows (made with defineWorkflow), the run's among them"]],
  examples: ['durable retry 01JD2Q7ZK4X8M3VYB5N6P0R2ST --workflows ./dist/workflows.js', 'durable retry 01JD2Q7ZK4X8M3VYB5N6P0R2ST --workflows ./dist/workflows.js --json'],
  async run(context) {
    const runId = context.args[0] ?? ''
    const flag = context.flags.workflows
    const loaded = typeof flag === 'string' ? await loadWorkflows(flag, context.cwd, 'retry') : undefined
    const durable = context.connect({ mustExist: true, workflows: loaded?.workflows ?? [] })
    let run: RunSnapshot
    try {
      run = await durable.find(runId)
    } catch (error) {
      throw explainRunError(error, runId, 'retry', 'retry it')
    }
    // The state first: a run that is not failed needs no workflow to be told so.
    if (run.status !== 'failed') throw new CliError('RUN_NOT_ACTIVE', `run ${runId} is ${run.status}: cannot retry it (only a failed run can be retried)`)
    if (!loaded?.workflows.some((workflow) => workflow.name === run.workflowName)) throw workflowMissing(run, loaded)
    try {
      await durable.retry(runId)
    } catch (error) {
      if (isDurableError(error, 'RUN_NOT_ACTIVE') && statusOf(error) === 'failed') {
        throw new CliError('RUN_NOT_ACTIVE', `run ${runId} failed without a step to resume: cannot retry it`)
      }
      throw explainRunError(error, runId, 'retry', 'retry it (only a failed run can be retried)')
    }
    const step = run.error?.step ?? null
    if (context.json) {
      context.printJson({ ok: true, runId, workflowName: run.workflowName, step })
      return
    }
    const from = step === null ? 'from the step that failed' : `from step ${step}`
    context.stdout(`retrying run ${runId} ${from}: a worker that has workflow "${run.workflowName}" registered picks it up\n`)
  },
}

/** Why retry cannot resume `run`: no `--workflows`, or a module without the run's workflow. */
function workflowMissing(run: RunSnapshot, loaded: LoadedWorkflows | undefined): CliError {
  if (loaded === undefined) {
    return new CliError(
      'WORKFLOW_NOT_REGISTERED',
      `run ${run.id} is a run of workflow "${run.workflowName}", which retry needs to resume it: pass --workflows <module>, an ES module that exports it (e.g. durable retry ${run.id} --workflows ./dist/workflows.js)`,
    )
  }
  const exported = loaded.workflows.map((workflow) => `"${workflow.name}"`).join(', ')
  return new CliError(
    'WORKFLOW_NOT_REGISTERED',
    `--workflows ${loaded.module} does not export workflow "${run.workflowName}", the workflow of run ${run.id} (it exports ${exported})`,
  )
}
