/**
 * The settlement outbox's records: a chain operation the coordinator owes (start, complete, fail,
 * terminate a job), durably queued in the Journal before it is sent, and its state as it goes.
 */
import type { AppInstanceId } from "./ids.js"

/** `call` = one Move call of the app instance on behalf of a job (its `payload` says which). */
export type OpKind = "start" | "complete" | "fail" | "terminate" | "call"
/** `queued` → `inflight` (in a signed tx) → `done` | `rejected` (chain said false) | `aborted` (Move abort). */
export type OpState = "queued" | "inflight" | "done" | "rejected" | "aborted"

/** The job sequence the outbox records a coordinator's own call under (no job has it: u64 max). */
export const COORDINATOR_CALL = (1n << 64n) - 1n

/** Whether an op is a Move call an agent made through the agent API (not the coordinator's own). */
export const isAgentCall = (op: { readonly kind: OpKind; readonly jobSequence: bigint }): boolean =>
  op.kind === "call" && op.jobSequence !== COORDINATOR_CALL

export interface NewOp {
  readonly kind: OpKind
  /** 64 hex digits, no `0x`. */
  readonly appInstance: AppInstanceId
  readonly jobSequence: bigint
  readonly error?: string | undefined
  readonly session?: string | undefined
  /** For `call` ops: the JSON of the call (function and arguments). */
  readonly payload?: string | undefined
}

export interface OutboxOp {
  readonly id: number
  readonly kind: OpKind
  readonly appInstance: AppInstanceId
  readonly jobSequence: bigint
  readonly error: string | null
  readonly session: string | null
  readonly state: OpState
  readonly txDigest: string | null
  readonly attempts: number
  readonly outcome: string | null
  readonly createdAt: number
  readonly payload: string | null
}
