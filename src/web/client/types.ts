/** The shapes the daemon sends (src/layers/StatusPage.ts, StatusFeed.ts); kept by hand, checked by the browser tests. */

export interface LogLine {
  readonly at: number
  readonly level: string
  readonly message: string
}

export interface AgentView {
  readonly session: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly runtime: string | null
  readonly name: string | null
  readonly startedAt: number
  readonly endedAt: number | null
  readonly exit: { readonly reason: string; readonly exitCode: number | null; readonly message: string } | null
  readonly jobsTaken: number
  readonly messages: ReadonlyArray<LogLine>
  readonly output: ReadonlyArray<string>
}

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
  readonly throughput: {
    readonly bucketMs: number
    readonly from: number
    readonly started: ReadonlyArray<number>
    readonly completed: ReadonlyArray<number>
    readonly failed: ReadonlyArray<number>
  }
  readonly totals: { readonly started: number; readonly completed: number; readonly failed: number }
  readonly dispatchLatencyMs: { readonly samples: number; readonly p50: number | null; readonly p99: number | null }
  readonly agents: { readonly live: ReadonlyArray<AgentView>; readonly ended: ReadonlyArray<AgentView> }
  readonly waiting: ReadonlyArray<{ readonly developer: string; readonly agent: string; readonly agentMethod: string; readonly reason: string }>
  readonly transactions: ReadonlyArray<TxView>
}

export interface JobCounts {
  readonly pending: number
  readonly starting: number
  readonly started: number
  readonly held: number
  readonly completed: number
  readonly failed: number
  readonly terminated: number
  readonly total: number
}

export interface Explorer {
  readonly name: string
  readonly tx: string
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
    readonly checks: Readonly<Record<string, { readonly healthy: boolean; readonly error: string | null }>>
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
}

export interface Step {
  readonly at: number
  readonly kind: string
  readonly digest: string | null
  readonly session: string | null
  readonly error: string | null
  readonly attempt: number | null
  readonly result: string | null
}

export interface JobRecord {
  readonly appInstance: string
  readonly sequence: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly jobId: string | null
  readonly state: string
  readonly attempts: number
  readonly createdAt: number
  readonly updatedAt: number
  readonly steps?: ReadonlyArray<Step>
}
