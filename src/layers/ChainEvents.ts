/**
 * ChainEvents — the coordination events of the configured package as one Stream that never
 * misses an event: it resumes from the Journal's cursor, fills every gap on (re)connect, drops
 * duplicates by ledger position, reconnects with jittered exponential backoff on errors and on
 * silence, and reports history pruned before it could be replayed as a `ReplayGap` item.
 *
 * Positions are committed by the consumer after it has processed an item (`commit`), so a crash
 * replays from the last processed position. Commits are coalesced and written every
 * `commitIntervalMs` (and when the layer closes), without waiting for a disk flush of their own:
 * a lost commit only means a longer replay.
 */
import { Cause, Context, Data, Deferred, Duration, Effect, Layer, Metric, Option, Queue, Schedule, Stream, Take } from "effect"
import { chainReconnects } from "../chain/metrics.js"
import {
  type ChainItem,
  ChainSilence,
  checkpointSession,
  comparePositions,
  endOf,
  type EventPath,
  filteredSession,
  type FollowState,
  type FollowStats,
  tipOf
} from "../chain/follow.js"
import { ChainRpcError } from "../chain/rpc.js"
import { ChainSubscriptionLagged } from "../chain/subscription.js"
import { type ChainCursor, type ChainPosition, Journal } from "./Journal.js"
import { SuiClient } from "./SuiClient.js"

export type { ChainItem, EventPath, FollowStats as ChainEventsStats } from "../chain/follow.js"

export interface ChainEventsOptions {
  /** `auto`: filtered events, falling back to checkpoints when the node answers UNIMPLEMENTED. */
  readonly mode?: "auto" | EventPath
  /** Reconnect when nothing arrives for this long (default 30 s). */
  readonly silenceMs?: number
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  /** Concurrent checkpoint range reads while filling a gap (default 4). */
  readonly gapConcurrency?: number
  /** Checkpoints per range read (default 100). */
  readonly chunkSize?: number
  /** Items buffered ahead of the consumer (default 4096). */
  readonly buffer?: number
  /**
   * Batches of the live subscription's frames (those read in one turn of the event loop) held
   * ahead of the follower (default 1024). A follower that falls further behind ends its
   * subscription and reads the rest from history.
   */
  readonly subscriptionBuffer?: number
  readonly commitIntervalMs?: number
}

/** The follower behind the stream stopped on a defect: the stream ends with this instead of waiting forever. */
export class ChainFollowerStopped extends Data.TaggedError("ChainFollowerStopped")<{ readonly message: string }> {}

export interface ChainEventsService {
  /**
   * The event stream. Run it once at a time; each run resumes after the last committed position.
   * Node errors are retried inside; it fails only when its follower dies (a bug), after the items
   * read before that.
   */
  readonly stream: Stream.Stream<ChainItem, ChainFollowerStopped>
  /**
   * Succeeds once a run of the stream has fixed its starting point (the last commit, or the tip
   * when none is stored): from then on nothing that happens on chain is missed.
   */
  readonly following: Effect.Effect<void>
  /** Marks everything up to `item` (or a position) as processed. */
  readonly commit: (at: ChainItem | ChainCursor) => Effect.Effect<void>
  /** Writes the latest commit to the Journal now. */
  readonly flush: Effect.Effect<void>
  readonly stats: Effect.Effect<Readonly<FollowStats>>
}

/** Decoded coordination events from the chain. */
export class ChainEvents extends Context.Tag("silvana/ChainEvents")<ChainEvents, ChainEventsService>() {
  static readonly layer = (options: ChainEventsOptions = {}) => Layer.scoped(ChainEvents, makeChainEvents(options))
}

const toCursor = (at: ChainItem | ChainCursor): ChainCursor =>
  "_tag" in at ? { ...at.position, token: at.token } : at

/**
 * The consumer's committed position: moved by `commit`, written to the Journal every
 * `commitIntervalMs` and when the scope closes (a lost write only means a longer replay).
 */
const makeCommittedCursor = (journal: Context.Tag.Service<Journal>, commitIntervalMs: number) =>
  Effect.gen(function* () {
    let committed: Option.Option<ChainCursor> = yield* journal.getCursor
    let written = committed
    const flush = Effect.suspend(() => {
      const c = committed
      if (Option.isNone(c) || c === written) return Effect.void
      return journal.setCursor(c.value).pipe(
        Effect.tap(() => Effect.sync(() => (written = c))),
        Effect.catchAll((e) => Effect.logError(`cannot store the event cursor: ${e.message}`))
      )
    })
    yield* Effect.addFinalizer(() => flush)
    yield* flush.pipe(Effect.delay(Duration.millis(commitIntervalMs)), Effect.forever, Effect.forkScoped)
    const commit = (at: ChainItem | ChainCursor) =>
      Effect.sync(() => {
        const c = toCursor(at)
        // A rewound node moves the cursor back to its tip; everything else only moves it forward.
        const back = "_tag" in at && at._tag === "Rewound"
        if (back || Option.isNone(committed) || comparePositions(c, committed.value) > 0) committed = Option.some(c)
      })
    return { committed: () => committed, commit, flush }
  })

export const makeChainEvents = (options: ChainEventsOptions) =>
  Effect.gen(function* () {
    const sui = yield* SuiClient
    const journal = yield* Journal
    const mode = options.mode ?? "auto"
    const silenceMs = options.silenceMs ?? 30_000
    const backoffInitialMs = options.backoffInitialMs ?? 200
    const backoffMaxMs = options.backoffMaxMs ?? 10_000
    const commitIntervalMs = options.commitIntervalMs ?? 250

    const stats: FollowStats = {
      path: mode === "checkpoints" ? "checkpoints" : "filtered",
      events: 0,
      checkpoints: 0,
      reconnects: 0,
      replayGaps: 0,
      rewinds: 0,
      lagged: 0,
      decodeErrors: 0
    }
    const cursor = yield* makeCommittedCursor(journal, commitIntervalMs)
    const following = yield* Deferred.make<void>()

    /** The follower state for a new run of the stream: from the last commit, else from the tip. */
    const initialState = Effect.gen(function* () {
      const committed = cursor.committed()
      if (Option.isSome(committed)) {
        const c = committed.value
        const boundary = comparePositions(c, endOf(c.checkpoint)) === 0
        const state: FollowState = { covered: boundary ? c.checkpoint : c.checkpoint - 1n, last: c, token: c.token }
        return state
      }
      const tip = yield* tipOf(sui.client).pipe(
        Effect.tapError((e) => Effect.logWarning(`cannot read the chain tip: ${describe(e)}`)),
        Effect.retry(Schedule.exponential(Duration.millis(backoffInitialMs)).pipe(Schedule.union(Schedule.spaced(Duration.millis(backoffMaxMs))))),
        Effect.orDie
      )
      yield* Effect.logInfo(`no event cursor stored: following from the tip (checkpoint ${tip}); reconcile loads what is pending`)
      const state: FollowState = { covered: tip, last: endOf(tip), token: null }
      return state
    })

    const run = (queue: Queue.Queue<Take.Take<ChainItem, ChainFollowerStopped>>) =>
      Effect.gen(function* () {
        const state = yield* initialState
        yield* Deferred.succeed(following, undefined)
        const caps = { listCheckpoints: true }
        let path: EventPath = mode === "checkpoints" ? "checkpoints" : "filtered"
        let attempt = 0
        const settings = {
          client: sui.client,
          packageId: sui.packageId,
          silenceMs,
          gapConcurrency: options.gapConcurrency ?? 4,
          chunkSize: options.chunkSize ?? 100,
          subscriptionBuffer: options.subscriptionBuffer ?? 1024,
          emit: (items: ReadonlyArray<ChainItem>) => Queue.offerAll(queue, items.map(Take.of)).pipe(Effect.asVoid),
          state,
          stats
        }
        while (true) {
          stats.path = path
          const before = state.last
          const exit = yield* Effect.either(path === "filtered" ? filteredSession(settings) : checkpointSession(settings, caps))
          if (exit._tag === "Right") continue
          const error = exit.left
          if (comparePositions(state.last, before) > 0) attempt = 0
          if (error instanceof ChainSubscriptionLagged) {
            // Not a fault of the node: read on from history at once, then subscribe again.
            stats.lagged++
            yield* Effect.logDebug(`event stream (${path}) fell ${error.capacity} batches behind its subscription; reading on from history`)
            continue
          }
          if (error instanceof ChainRpcError && error.code === "UNIMPLEMENTED" && path === "filtered" && mode === "auto") {
            yield* Effect.logWarning(`the node does not serve filtered events (${error.message}); following checkpoints instead`)
            path = "checkpoints"
            continue
          }
          stats.reconnects++
          yield* Metric.increment(chainReconnects)
          const base = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(attempt, 20))
          const delay = Math.round(base / 2 + Math.random() * (base / 2))
          attempt++
          const why = error instanceof ChainSilence ? `no data for ${error.ms} ms` : describe(error)
          yield* Effect.logWarning(`event stream (${path}) interrupted: ${why}; reconnecting in ${delay} ms`)
          yield* Effect.sleep(Duration.millis(delay))
        }
      }).pipe(
        // The consumer learns of the death from the stream itself, after the items before it.
        Effect.catchAllCause((cause) =>
          Effect.zipRight(
            Effect.logError("event follower stopped", cause),
            Queue.offer(queue, Take.fail(new ChainFollowerStopped({ message: Cause.pretty(cause) })))
          )
        )
      )

    const stream: Stream.Stream<ChainItem, ChainFollowerStopped> = Stream.unwrapScoped(
      Effect.gen(function* () {
        const queue = yield* Effect.acquireRelease(Queue.bounded<Take.Take<ChainItem, ChainFollowerStopped>>(options.buffer ?? 4096), Queue.shutdown)
        yield* Effect.forkScoped(run(queue))
        return Stream.flattenTake(Stream.fromQueue(queue))
      })
    )

    const service: ChainEventsService = {
      stream,
      following: Deferred.await(following),
      commit: cursor.commit,
      flush: cursor.flush,
      stats: Effect.sync(() => ({ ...stats }))
    }
    return service
  })

const describe = (e: unknown): string =>
  e instanceof ChainRpcError ? `${e.method}: ${e.code} ${e.message}` : e instanceof Error ? e.message : String(e)

/** The position to pass to `commit` for an item. */
export const positionOf = (item: ChainItem): ChainPosition => item.position
