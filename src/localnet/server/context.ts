/**
 * What every service handler shares: the engine, the live stream fan-out, the call policy and
 * the fault switches.
 */
import type { LocalChain } from "../chain.js"
import type { Fanout } from "./fanout.js"
import type { CallPolicy } from "./rpc.js"

/** Mutable fault switches read by the handlers. */
export interface FaultSwitches {
  /** Executions still to fail, and how. */
  failNext: { count: number; kind: "unavailable" | "version-conflict" }
  /** ListEvents/SubscribeEvents answer UNIMPLEMENTED (an older or unindexed node). */
  filteredEventsUnimplemented: boolean
}

export interface ServerContext {
  readonly chain: LocalChain
  readonly fanout: Fanout
  readonly policy: CallPolicy
  readonly faults: FaultSwitches
  /** Called after each successful execution (the producer seals at once in per-transaction mode). */
  readonly onExecuted: () => void
}
