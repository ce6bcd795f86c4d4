/**
 * The event follower's vocabulary: the items it delivers, positions, its shared state, counters
 * and settings, and the errors that end one of its sessions. The sessions are in follow.ts.
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Data, type Effect } from "effect"
import type { ChainPosition } from "./position.js"
import type { CoordinationEvent } from "./events.js"

/** An item of the event stream. Every item carries the position to commit once it is processed. */
export type ChainItem =
  | {
      readonly _tag: "Event"
      readonly position: ChainPosition
      readonly txDigest: string
      readonly event: CoordinationEvent
      /** The node's opaque resume cursor at this item (filtered path), if any. */
      readonly token: Uint8Array | null
    }
  | {
      /** Every coordination event up to and including `checkpoint` has been delivered. */
      readonly _tag: "Checkpoint"
      readonly checkpoint: bigint
      readonly position: ChainPosition
      readonly token: Uint8Array | null
    }
  | {
      /**
       * Checkpoints `from..to` were pruned before they could be replayed: their events are lost to
       * this stream and the consumer must reconcile from chain state. The stream goes on at `to + 1`.
       */
      readonly _tag: "ReplayGap"
      readonly from: bigint
      readonly to: bigint
      readonly position: ChainPosition
      readonly token: null
    }
  | {
      /**
       * The node's tip is behind what this stream had delivered (`from..to` are gone: the node was
       * restored, rolled back or replaced). The stream goes on from the node's tip; the consumer
       * must commit this position (backwards) and resync everything from chain state.
       */
      readonly _tag: "Rewound"
      readonly from: bigint
      readonly to: bigint
      readonly position: ChainPosition
      readonly token: null
    }

export type EventPath = "filtered" | "checkpoints"

/** The stream went quiet for longer than the silence threshold. */
export class ChainSilence extends Data.TaggedError("ChainSilence")<{ readonly ms: number }> {}
/** A subscription ended without an error. */
export class ChainStreamEnded extends Data.TaggedError("ChainStreamEnded")<{ readonly method: string }> {}

const END = 0xffffffff
/** The position after everything in `checkpoint`. */
export const endOf = (checkpoint: bigint): ChainPosition => ({ checkpoint, tx: END, event: END })

export const comparePositions = (a: ChainPosition, b: ChainPosition): number =>
  a.checkpoint !== b.checkpoint ? (a.checkpoint < b.checkpoint ? -1 : 1) : a.tx !== b.tx ? a.tx - b.tx : a.event - b.event

/** Mutable progress of a follower, shared by its sessions. */
export interface FollowState {
  /** Last checkpoint whose coordination events have all been delivered. */
  covered: bigint
  /** Last delivered position (de-duplication bound). */
  last: ChainPosition
  /** Opaque node cursor matching `last`, when the filtered path produced one. */
  token: Uint8Array | null
}

export interface FollowStats {
  path: EventPath
  events: number
  checkpoints: number
  reconnects: number
  replayGaps: number
  /** Times the node's tip was found behind the delivered position. */
  rewinds: number
  /** Live subscriptions ended because the follower fell behind them (`ChainSubscriptionLagged`). */
  lagged: number
  decodeErrors: number
}

export interface FollowSettings {
  readonly client: SuiGrpcClient
  readonly packageId: string
  readonly silenceMs: number
  readonly gapConcurrency: number
  readonly chunkSize: number
  /**
   * Frames of the live subscription held ahead of the follower (events path; on the checkpoint
   * path, where a frame is a whole checkpoint, a sixteenth of it). One more ends the subscription
   * and the session, and the next resumes from `state` through the history reads.
   */
  readonly subscriptionBuffer: number
  /** Hands items to the consumer (with backpressure). */
  readonly emit: (items: ReadonlyArray<ChainItem>) => Effect.Effect<void>
  readonly state: FollowState
  readonly stats: FollowStats
}
