/**
 * Type-checked, never run: each adapter takes its engine's newest supported major the way that
 * engine's documentation builds it (pg-boss 12 exports `PgBoss` by name; BullMQ 6 takes an
 * ioredis instance, and ioredis is installed next to it).
 */
import { bullmqQueue } from '@durable/queue-bullmq'
import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
import { pgBossQueue } from '@durable/queue-pg-boss'
import { Redis } from 'ioredis'
import { PgBoss } from 'pg-boss'

const url = 'postgres://app@127.0.0.1:5432/app'
export const queues = [
  pgBossQueue(new PgBoss(url)),
  graphileWorkerQueue({ connectionString: url }),
  bullmqQueue({ connection: new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null }) }),
  bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 } }),
]
