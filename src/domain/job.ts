/**
 * A coordination job as the coordinator knows it: the fields of the on-chain `Job` that agents
 * receive, plus where it stands in this coordinator.
 */
import { Schema } from "effect"
import { AppInstanceId, JobId, SessionId } from "./ids.js"

/** The on-chain facts of a job, as carried by `JobCreatedEvent` and the `Job` object. */
export const JobData = Schema.Struct({
  appInstance: AppInstanceId,
  jobSequence: Schema.BigIntFromSelf,
  developer: Schema.String,
  agent: Schema.String,
  agentMethod: Schema.String,
  app: Schema.String,
  appInstanceMethod: Schema.String,
  description: Schema.optional(Schema.String),
  blockNumber: Schema.optional(Schema.BigIntFromSelf),
  sequences: Schema.Array(Schema.BigIntFromSelf),
  sequences1: Schema.Array(Schema.BigIntFromSelf),
  sequences2: Schema.Array(Schema.BigIntFromSelf),
  data: Schema.Uint8ArrayFromSelf,
  attempts: Schema.Number,
  createdAt: Schema.BigIntFromSelf,
  updatedAt: Schema.BigIntFromSelf,
  /** Epoch ms before which the chain refuses to start the job (retry delay, periodic schedule). */
  dueAt: Schema.optional(Schema.BigIntFromSelf)
})
export type JobData = typeof JobData.Type

/**
 * Where a job stands in this coordinator:
 * - `pending`: pending on chain, not started by us;
 * - `starting`: in a start transaction of ours;
 * - `started`: started on chain by us, waiting for a session to take it;
 * - `held`: handed to a session by GetJob;
 * - `completed` / `failed` / `terminated`: reported by its session, awaiting settlement.
 */
export const JobState = Schema.Literal("pending", "starting", "started", "held", "completed", "failed", "terminated")
export type JobState = typeof JobState.Type

/** A job of the store with its id and holder (read-only snapshot). */
export interface StoredJob extends JobData {
  readonly jobId: JobId | undefined
  readonly state: JobState
  readonly heldBy: SessionId | undefined
  readonly error: string | undefined
}

/** What a session reported about a job; the durable record the settlement turns into a transaction. */
export const JobReport = Schema.Struct({
  kind: Schema.Literal("complete", "fail", "terminate"),
  jobId: JobId,
  sessionId: SessionId,
  appInstance: AppInstanceId,
  jobSequence: Schema.BigIntFromSelf,
  error: Schema.optional(Schema.String)
})
export type JobReport = typeof JobReport.Type
