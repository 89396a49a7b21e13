/**
 * The JSON the dashboard's API answers with (see `api-routes.ts`), as the page reads it. Kept
 * here rather than imported so the browser code depends on nothing that runs in Node.
 */

export type RunStatus = 'pending' | 'running' | 'waiting' | 'compensating' | 'completed' | 'failed' | 'cancelled'

export interface DashboardConfig {
  readonly readOnly: boolean
  readonly pollMs: number
}

export interface RunErrorJson {
  readonly message: string
  readonly code: string | null
  readonly step: string | null
}

export type WaitingForJson =
  | { readonly kind: 'signal'; readonly name: string; readonly until: string | null }
  | { readonly kind: 'timer'; readonly until: string }
  | { readonly kind: 'child'; readonly runId: string }

export interface RunSummaryJson {
  readonly id: string
  readonly workflowName: string
  readonly status: RunStatus
  readonly input: unknown
  readonly error: RunErrorJson | null
  readonly parentRunId: string | null
  readonly attempts: number
  readonly waitingFor: WaitingForJson | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface RunJson extends RunSummaryJson {
  readonly results: Record<string, unknown>
  readonly result: Record<string, unknown> | null
}

export interface RunsPageJson {
  readonly runs: readonly RunSummaryJson[]
  readonly nextCursor: string | null
}

export interface ScheduleJson {
  readonly name: string
  readonly workflowName: string
  readonly cron: string
  readonly nextAt: string | null
  readonly lastRunId: string | null
}

export interface StatsJson {
  readonly byStatus: Readonly<Record<string, number>>
  readonly total: number
  readonly due: number
  readonly dueLagMs: number
  readonly leased: number
}

export interface PendingSignalJson {
  readonly name: string
  readonly payload: unknown
  readonly sentAt: string
}

export interface TimelineRowJson {
  readonly seq: number
  readonly stepKey: string
  readonly kind: string
  readonly attempt: number
  readonly result: unknown
  readonly error: { readonly name: string; readonly message: string; readonly code: string | null; readonly retryable: boolean; readonly stack: string | null } | null
  readonly createdAt: string
  readonly startOffsetMs: number
  readonly durationMs: number
  readonly compensation: boolean
  readonly childRunId: string | null
}

export interface RunDetailJson {
  readonly run: RunJson
  readonly timeline: { readonly spanMs: number; readonly rows: readonly TimelineRowJson[] }
  readonly pendingSignals?: readonly PendingSignalJson[]
}

/** A view of the page: its element, how to bring it up to date, and its title. */
export interface View {
  readonly element: HTMLElement
  refresh(): Promise<void>
  readonly title: string
  /** Present on a run's page: the actions panel, redrawn when the token changes. */
  readonly actions?: unknown
}
