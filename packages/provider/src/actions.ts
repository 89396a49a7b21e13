import type { Command } from '@durable/core'

/** What a worker does itself while it holds the run, without parking it. */
export type Action = Extract<Command, { type: 'runStep' | 'runCompensation' | 'startTimer' | 'awaitSignal' | 'startChild' | 'awaitChild' | 'selectRoute' }>

/** @internal */
export const ACTIONS: ReadonlySet<Command['type']> = new Set(['runStep', 'runCompensation', 'startTimer', 'awaitSignal', 'startChild', 'awaitChild', 'selectRoute'])
