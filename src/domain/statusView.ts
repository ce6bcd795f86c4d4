/**
 * The shapes the status page receives: the daemon builds them (src/layers/StatusFeed.ts,
 * src/layers/status/*, src/layers/JobStore.ts) and the browser client (src/web/client) reads them.
 * Type-only and free of Node and Effect imports, so both sides compile against the same file.
 */

/** One AgentMessage line. */
export interface LogLine {
  readonly at: number
  readonly level: string
  readonly message: string
}

/** An agent session as the page shows it. */
export interface AgentView {
  readonly session: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  /** `docker` or `process`; null before the runtime said. */
  readonly runtime: string | null
  /** Container or process name (carries the short session id only). */
  readonly name: string | null
  readonly startedAt: number
  readonly endedAt: number | null
  readonly exit: { readonly reason: string; readonly exitCode: number | null; readonly message: string } | null
  readonly jobsTaken: number
  /** The newest AgentMessage lines, oldest first. */
  readonly messages: ReadonlyArray<LogLine>
  /** The newest lines of the agent's own output (stdout and stderr), oldest first. */
  readonly output: ReadonlyArray<string>
}

/** Why a triple has jobs but no agent. */
export interface WaitingView {
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly reason: string
}

/** Job counts per state in the store. */
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

export interface ThroughputView {
  readonly bucketMs: number
  /** Start of the oldest bucket (ms since the epoch); buckets follow each other every `bucketMs`. */
  readonly from: number
  readonly started: ReadonlyArray<number>
  readonly completed: ReadonlyArray<number>
  readonly failed: ReadonlyArray<number>
}

export interface Percentiles {
  readonly samples: number
  readonly p50: number | null
  readonly p99: number | null
}

export type StepKind =
  | "created"
  | "start_tx"
  | "started"
  | "handed_out"
  | "completed"
  | "failed"
  | "terminated"
  | "settled"
  | "pending_again"
  | "removed"

/** One step of a job's life. Absent facts are null so the JSON keeps one shape. */
export interface Step {
  readonly at: number
  readonly kind: StepKind
  readonly digest: string | null
  /** Short session id. */
  readonly session: string | null
  readonly error: string | null
  readonly attempt: number | null
  /** For transactions: done, rejected, aborted; for settled steps also the op (complete, fail, …). */
  readonly result: string | null
}

/** A block explorer link template for the chain the daemon follows. */
export interface Explorer {
  readonly name: string
  /** URL with `{digest}` where the transaction digest goes. */
  readonly tx: string
}

/** A job's record: in lists without `steps`, in a job's own answer with them. */
export interface JobRecordView {
  /** `0x…` */
  readonly appInstance: string
  readonly sequence: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly jobId: string | null
  /** A job state (src/domain/job.ts), or `settled` / `removed`. */
  readonly state: string
  readonly attempts: number
  /** The job's `created_at` on chain (ms). */
  readonly createdAt: number
  readonly updatedAt: number
  readonly steps?: ReadonlyArray<Step>
}
