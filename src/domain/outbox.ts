/**
 * The settlement outbox's records: a chain operation the coordinator owes (start, complete, fail,
 * terminate a job), durably queued in the Journal before it is sent, and its state as it goes.
 */

export type OpKind = "start" | "complete" | "fail" | "terminate"
/** `queued` → `inflight` (in a signed tx) → `done` | `rejected` (chain said false) | `aborted` (Move abort). */
export type OpState = "queued" | "inflight" | "done" | "rejected" | "aborted"

export interface NewOp {
  readonly kind: OpKind
  /** 64 hex digits, no `0x`. */
  readonly appInstance: string
  readonly jobSequence: bigint
  readonly error?: string | undefined
  readonly session?: string | undefined
}

export interface OutboxOp {
  readonly id: number
  readonly kind: OpKind
  readonly appInstance: string
  readonly jobSequence: bigint
  readonly error: string | null
  readonly session: string | null
  readonly state: OpState
  readonly txDigest: string | null
  readonly attempts: number
  readonly outcome: string | null
  readonly createdAt: number
}
