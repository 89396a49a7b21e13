/**
 * pg-boss: a chain of three jobs on one queue; job 1's handler sends job 2, job 2's sends job 3.
 * c workers (`boss.work`, one job per fetch). pg-boss 10 polls (at least every 0.5 s) and has no
 * LISTEN/NOTIFY, so — as an application in one process can — every send and every finished job
 * calls `boss.notifyWorker` on the workers; without it each hop would wait for a poll.
 */
import PgBoss from 'pg-boss'
import { packageVersion } from '../package-version.js'
import { freshDatabase } from '../postgres-server.js'
import { POOL_SIZE } from '../settings.js'
import { until, withCallers } from '../stats.js'
import type { ThreeStepSystem } from '../systems/three-step-system.js'

const QUEUE = 'chain'
const version = packageVersion('pg-boss')

interface Link {
  step: number
  i: number
}

export async function pgBossChainSystem(adminUrl: string): Promise<ThreeStepSystem> {
  const boss = new PgBoss({ connectionString: await freshDatabase(adminUrl, 'bench_pgboss'), max: POOL_SIZE, schedule: false })
  boss.on('error', (error: Error) => process.stderr.write(`pg-boss: ${error.message}\n`))
  await boss.start()
  await boss.createQueue(QUEUE)
  let workers: string[] = []
  let finished = 0
  const onFinished = new Set<() => void>()
  const notifyAll = () => {
    for (const id of workers) boss.notifyWorker(id)
  }
  const send = async (link: Link) => {
    await boss.send(QUEUE, link)
    notifyAll()
  }
  const startWorkers = async (concurrency: number) => {
    finished = 0
    for (let w = 0; w < concurrency; w++) {
      workers.push(
        await boss.work<Link>(QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
          const { step, i } = job!.data
          if (step < 3) await send({ step: step + 1, i })
          else {
            finished++
            for (const resolve of onFinished) resolve()
          }
          notifyAll() // a worker that finished a job fetches the next at once, as a backlog needs
        }),
      )
    }
  }
  const stopWorkers = async () => {
    await boss.offWork(QUEUE)
    workers = []
  }

  return {
    name: `pg-boss ${version} (3-job chain)`,
    method: 'chains sent beforehand (not timed); timed: c workers (batchSize 1) until the last job 3 handler returned',
    async throughput(runs, concurrency) {
      await withCallers(runs, 8, (i) => boss.send(QUEUE, { step: 1, i }))
      const started = performance.now()
      await startWorkers(concurrency)
      await until(() => finished >= runs, `${runs} pg-boss chains`)
      const seconds = (performance.now() - started) / 1000
      await stopWorkers()
      return seconds
    },
    async beginLatency() {
      await startWorkers(1)
    },
    async latencyOnce() {
      const started = performance.now()
      const done = new Promise<void>((resolve) => onFinished.add(resolve))
      await send({ step: 1, i: 0 })
      await done
      onFinished.clear()
      return performance.now() - started
    },
    async endLatency() {
      await stopWorkers()
    },
    async startRate(runs, callers) {
      return withCallers(runs, callers, (i) => boss.send(QUEUE, { step: 1, i }))
    },
    async close() {
      await boss.stop({ graceful: false, wait: true, timeout: 5000 })
    },
  }
}
