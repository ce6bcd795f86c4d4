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

/** One app instance of the proving pipeline: its next sequence and last closed, proved, settled blocks. */
export interface PipelineInstanceView {
  /** `0x…` */
  readonly instance: string
  readonly sequence: number
  readonly lastBlockClosed: number
  readonly lastBlockProved: number
  /** Settled on every settlement chain of the instance. */
  readonly lastBlockSettled: number
  /** Actions seen arriving that are not in a closed block yet. */
  readonly actionsWaiting: number
}

/** Blocks of one instance closed together (seen in one read), with when they were proved and settled. */
export interface PipelineBlockView {
  readonly instance: string
  readonly lastBlock: number
  readonly blocks: number
  readonly firstSequence: number
  readonly lastSequence: number
  readonly closedAt: number
  readonly provedAt: number | null
  readonly settledAt: number | null
}

/** A block that cannot be proved until a job that failed for good runs again (domain/stalls.ts). */
export interface PipelineStall {
  readonly instance: string
  readonly block: number
  readonly sequences: ReadonlyArray<number>
  readonly job: number
  readonly method: string
  readonly reason: string
}

/** The proving pipeline since this process started: counts and the latency of each stage. */
export interface PipelineView {
  readonly actions: number
  readonly blocksClosed: number
  readonly proofsSubmitted: number
  readonly proofsRejected: number
  readonly mergeJobsCreated: number
  readonly blocksProved: number
  readonly blocksSettled: number
  readonly latencyMs: {
    readonly actionToBlockClosed: Percentiles
    readonly blockClosedToProved: Percentiles
    readonly blockProvedToSettled: Percentiles
    readonly actionToSettled: Percentiles
  }
  readonly instances: ReadonlyArray<PipelineInstanceView>
  readonly blocks: ReadonlyArray<PipelineBlockView>
  /** Blocks that cannot be proved until a job that failed for good is restarted, with the reason. */
  readonly stalls: ReadonlyArray<PipelineStall>
}
