/**
 * The shapes the daemon sends. The parts the daemon builds from shared types come from
 * src/domain/statusView.ts; the snapshot's envelope (src/layers/StatusPage.ts) and the transaction
 * view are restated here, checked by the browser tests.
 */
import type {
  AgentView,
  Explorer,
  JobCounts,
  JobRecordView,
  Percentiles,
  PipelineView,
  Step,
  ThroughputView,
  WaitingView
} from "../../domain/statusView.js"

export type { AgentView, Explorer, JobCounts, PipelineView, Step }

export interface TxView {
  readonly at: number
  readonly digest: string
  readonly ops: number
  readonly kinds: Readonly<Record<string, number>>
  readonly result: "success" | "failed" | "not_executed"
  readonly gasUsedMist: string | null
  readonly detail: string | null
}

export interface FeedView {
  readonly throughput: ThroughputView
  readonly totals: { readonly started: number; readonly completed: number; readonly failed: number }
  readonly dispatchLatencyMs: Percentiles
  readonly agents: { readonly live: ReadonlyArray<AgentView>; readonly ended: ReadonlyArray<AgentView> }
  readonly waiting: ReadonlyArray<WaitingView>
  readonly transactions: ReadonlyArray<TxView>
}

export interface Snapshot {
  readonly at: number
  readonly chain: string
  readonly explorers: ReadonlyArray<Explorer>
  readonly status: {
    readonly healthy: boolean
    readonly ready: boolean
    readonly failing: ReadonlyArray<string>
    readonly uptime_seconds: number
    readonly jobs: JobCounts
    readonly agents: { readonly active: number; readonly max: number }
    readonly checks: Readonly<Record<string, { readonly healthy: boolean; readonly degraded?: boolean; readonly error: string | null }>>
  }
  readonly chain_lag: {
    readonly last_checkpoint: number | null
    readonly latest_checkpoint: number | null
    readonly lag_checkpoints: number | null
    readonly lag_ms: number | null
  }
  readonly settlement: {
    readonly balance_mist: string | null
    readonly queued: number | null
    readonly inflight_transactions: number | null
    readonly transactions: number | null
    readonly failed_transactions: number | null
    readonly executed_ops: number | null
    readonly low_balance: boolean
  } | null
  readonly feed: FeedView | null
  readonly pipeline: PipelineView | null
}

export type JobRecord = JobRecordView
