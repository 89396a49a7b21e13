/** Type-checked, never run: each adapter takes its engine's oldest supported major (pg-boss 10's default export). */
import { bullmqQueue } from '@durable/queue-bullmq'
import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
import { pgBossQueue } from '@durable/queue-pg-boss'
import PgBoss from 'pg-boss'

const url = 'postgres://app@127.0.0.1:5432/app'
export const queues = [pgBossQueue(new PgBoss(url)), graphileWorkerQueue({ connectionString: url }), bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 } })]
