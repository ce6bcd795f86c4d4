/**
 * What every service handler shares: the engine, the live stream fan-out, the call policy and
 * the fault switches.
 */
import type { LocalChain } from "../chain.js"
import type { Fanout } from "./fanout.js"
import type { CallPolicy } from "./rpc.js"

/**
 * How an injected execution failure answers, each as a real full node answers it:
 * `unavailable` (UNAVAILABLE), `version-conflict` (a stale gas coin version: INVALID_ARGUMENT
 * "... is not available for consumption ..."), `lock-conflict` (the gas coin locked by another
 * transaction: FAILED_PRECONDITION, and that version stays locked until the epoch ends, as the
 * validators' per-epoch lock table keeps it), `object-not-found` (UNAVAILABLE after the node's retries).
 */
export const executionFaultKinds = ["unavailable", "version-conflict", "lock-conflict", "object-not-found"] as const
export type ExecutionFaultKind = (typeof executionFaultKinds)[number]

/** Mutable fault switches read by the handlers. */
export interface FaultSwitches {
  /** Executions still to fail, and how. */
  failNext: { count: number; kind: ExecutionFaultKind }
  /** ListEvents/SubscribeEvents answer UNIMPLEMENTED (an older or unindexed node). */
  filteredEventsUnimplemented: boolean
  /** While set, ExecuteTransaction calls wait for it before executing (`waiting` of them now). */
  hold: { readonly released: Promise<void>; readonly release: () => void; waiting: number } | undefined
}

export interface ServerContext {
  readonly chain: LocalChain
  readonly fanout: Fanout
  readonly policy: CallPolicy
  readonly faults: FaultSwitches
  /** Called after each successful execution (the producer seals at once in per-transaction mode). */
  readonly onExecuted: () => void
}
