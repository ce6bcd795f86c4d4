/**
 * discover — keeps the JobStore in step with the chain: coordination events in, store transitions
 * out, the cursor committed once a checkpoint's events are applied.
 *
 * - JobCreated(Pending) → pending; JobUpdated(Pending) after a failed attempt or a periodic run →
 *   pending again, due when the contract allows the next start (retry delay, schedule);
 * - JobUpdated(Running)/JobStarted by another coordinator → no longer ours to take;
 * - JobDeleted, JobUpdated(Failed) → gone.
 * - A replay gap (events pruned before we could read them) is reported loudly and triggers
 *   reconciliation from chain state; the stream goes on.
 *
 * Jobs our own transactions create (merge, settle and reprove jobs, an agent's CreateAppJob) can be
 * taken from those transactions' answers (`ownCreations`), a checkpoint before the event stream
 * brings them: a job's creation is applied by whichever comes first, and once only.
 */
import { Effect, Option, Stream } from "effect"
import { type CoordinationEvent, type JobCreatedEvent, jobCreationsOf } from "../chain/events.js"
import { jobDataOf } from "../chain/jobData.js"
import type { AppInstanceId } from "../domain/ids.js"
import type { JobData } from "../domain/job.js"
import { type ChainItem, ChainEvents } from "../layers/ChainEvents.js"
import { JobStore } from "../layers/JobStore.js"
import { Journal } from "../layers/Journal.js"

/** The contract's delay before a failed job may be started again. */
export const RETRY_DELAY_MS = 60_000n

export interface DiscoverOptions {
  /** This coordinator's address (JobStarted events by others drop the job). */
  readonly coordinatorId: string
  /** Called on a replay gap, so that reconciliation reloads pending jobs from chain state. */
  readonly onReplayGap: (from: bigint, to: bigint) => Effect.Effect<void>
  /** The node's tip was behind the cursor: a full resync (default: as a replay gap). */
  readonly onRewound?: (from: bigint, to: bigint) => Effect.Effect<void>
  /** Called after each applied event (tests and metrics watch the flow). */
  readonly onEvent?: (event: CoordinationEvent, item: ChainItem) => Effect.Effect<void>
  /** Job creations of this coordinator's own transactions, as soon as each executed. */
  readonly ownCreations?: Stream.Stream<JobCreatedEvent>
}

/**
 * The job creations among our executed transactions (Settlement's `executions`), for
 * `ownCreations`. An event that cannot be decoded is left to the event stream, which reports it.
 */
export const creationsOf = (
  executions: Stream.Stream<{ readonly events: ReadonlyArray<{ readonly eventType: string; readonly bcs: Uint8Array }> }>,
  packageId: string
): Stream.Stream<JobCreatedEvent> =>
  Stream.mapConcat(executions, (tx) => {
    try {
      return jobCreationsOf(tx.events, packageId)
    } catch {
      return []
    }
  })

/**
 * The job creations applied lately, by key and by where each was seen: the second sighting of one
 * (the event stream after a transaction's answer, or the other way round) is skipped. Two sets, so
 * that the many creations only the stream sees (an app's jobs) cannot push ours out before the
 * stream brings them; each bounded, the oldest keys going first.
 */
export class SeenCreations {
  private readonly own = new Set<string>()
  private readonly streamed = new Set<string>()
  constructor(private readonly max: number) {}
  /** Whether this sighting is the first (and remembers it). */
  first(ai: string, seq: bigint, from: "own" | "stream"): boolean {
    const k = `${ai}:${seq}`
    const [mine, other] = from === "own" ? [this.own, this.streamed] : [this.streamed, this.own]
    if (other.delete(k)) return false
    mine.add(k)
    if (mine.size > this.max) mine.delete(mine.values().next().value!)
    return true
  }
}

/** Remembers the data of jobs that left the store, so a retry needs no chain read (bounded). */
class RecentJobs {
  private readonly map = new Map<string, JobData>()
  constructor(private readonly max: number) {}
  put(d: JobData) {
    const k = `${d.appInstance}:${d.jobSequence}`
    this.map.delete(k)
    this.map.set(k, d)
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!)
  }
  get(ai: string, seq: bigint) {
    return this.map.get(`${ai}:${seq}`)
  }
}

/** One item of the event stream: an event applied (then watched, then committed), a checkpoint committed, a gap or rewind reported and repaired. */
const followItem = (
  item: ChainItem,
  apply: (event: CoordinationEvent) => Effect.Effect<void>,
  commit: (item: ChainItem) => Effect.Effect<void>,
  options: DiscoverOptions
): Effect.Effect<void> => {
  switch (item._tag) {
    case "Event":
      return apply(item.event).pipe(
        Effect.zipRight(options.onEvent ? options.onEvent(item.event, item) : Effect.void),
        Effect.zipRight(commit(item))
      )
    case "Checkpoint":
      return commit(item)
    case "ReplayGap":
      return Effect.logError("REPLAY GAP: events were pruned before they could be read; reconciling from chain state", {
        from_checkpoint: String(item.from),
        to_checkpoint: String(item.to)
      }).pipe(Effect.zipRight(options.onReplayGap(item.from, item.to)), Effect.zipRight(commit(item)))
    case "Rewound":
      return Effect.logError("CHAIN REWOUND: the node's tip is behind our event cursor (node restored, rolled back or replaced); resyncing from chain state", {
        from_checkpoint: String(item.from),
        to_checkpoint: String(item.to)
      }).pipe(
        Effect.zipRight(commit(item)),
        Effect.zipRight((options.onRewound ?? options.onReplayGap)(item.from, item.to))
      )
  }
}

export const discover = (options: DiscoverOptions) =>
  Effect.gen(function* () {
    const events = yield* ChainEvents
    const store = yield* JobStore
    const journal = yield* Journal
    const tracked = new Set(yield* journal.appInstances.pipe(Effect.orElseSucceed(() => [] as ReadonlyArray<string>)))
    const recent = new RecentJobs(50_000)
    const early = options.ownCreations === undefined ? undefined : new SeenCreations(10_000)
    /** The last failure per job, to date its retry. */
    const failedAt = new Map<string, bigint>()

    const track = (ai: AppInstanceId) =>
      tracked.has(ai)
        ? Effect.void
        : Effect.zipRight(
            Effect.sync(() => tracked.add(ai)),
            journal.trackAppInstance(ai).pipe(Effect.catchAll((e) => Effect.logWarning("cannot record app instance", { error: e.message })))
          )

    const forget = (ai: AppInstanceId, seq: bigint) =>
      Effect.gen(function* () {
        const known = yield* store.getBySequence(ai, seq)
        if (Option.isSome(known)) recent.put(known.value)
        yield* store.remove(ai, seq)
      })

    const apply = (event: CoordinationEvent, from: "own" | "stream" = "stream"): Effect.Effect<void> => {
      switch (event._tag) {
        case "JobCreatedEvent": {
          if (event.status._tag !== "Pending") return Effect.void
          const data = jobDataOf(event)
          if (early !== undefined && !early.first(data.appInstance, data.jobSequence, from)) return Effect.void
          return Effect.zipRight(track(data.appInstance), store.addPending(data))
        }
        case "JobUpdatedEvent": {
          const ai = event.appInstance
          const key = `${ai}:${event.jobSequence}`
          if (event.status._tag === "Pending") {
            return Effect.gen(function* () {
              const known = yield* store.getBySequence(ai, event.jobSequence)
              const base = Option.getOrUndefined(known) ?? recent.get(ai, event.jobSequence)
              if (base === undefined) {
                // Not seen before (e.g. created before our cursor): reconciliation will load it.
                yield* Effect.logDebug("pending job of unknown data; left to reconciliation", { job_sequence: String(event.jobSequence) })
                return
              }
              const failed = failedAt.get(key)
              failedAt.delete(key)
              const { dueAt: _previous, ...rest } = base
              yield* store.resetToPending({
                ...rest,
                attempts: event.attempts,
                updatedAt: event.updatedAt,
                ...(failed !== undefined ? { dueAt: failed + RETRY_DELAY_MS } : {})
              })
            })
          }
          if (event.status._tag === "Failed") return forget(ai, event.jobSequence)
          // Running: if we did not start it, another coordinator did.
          return Effect.flatMap(store.getBySequence(ai, event.jobSequence), (known) =>
            Option.isSome(known) && known.value.state === "pending" ? forget(ai, event.jobSequence) : Effect.void
          )
        }
        case "JobStartedEvent": {
          const ai = event.appInstance
          if (event.coordinator === options.coordinatorId) return Effect.void
          return Effect.flatMap(store.getBySequence(ai, event.jobSequence), (known) =>
            Option.isSome(known) && known.value.state === "pending" ? forget(ai, event.jobSequence) : Effect.void
          )
        }
        case "JobFailedEvent": {
          const ai = event.appInstance
          failedAt.set(`${ai}:${event.jobSequence}`, event.failedAt)
          // The job leaves the store; a JobUpdated(Pending) in the same transaction brings it back.
          return forget(ai, event.jobSequence)
        }
        case "JobRescheduledEvent": {
          const ai = event.appInstance
          return Effect.flatMap(store.getBySequence(ai, event.jobSequence), (known) =>
            Option.isSome(known) && known.value.state === "pending"
              ? store.resetToPending({ ...known.value, dueAt: event.nextScheduledAt })
              : Effect.void
          )
        }
        case "JobDeletedEvent":
          return forget(event.appInstance, event.jobSequence)
        case "JobCompletedEvent":
        case "JobTerminatedEvent":
        case "MulticallExecutedEvent":
          // The store follows the JobDeleted / JobUpdated events these come with.
          return Effect.void
      }
    }

    yield* Effect.logInfo("discover running", { tracked_app_instances: tracked.size })
    const own = options.ownCreations === undefined ? Effect.void : Stream.runForEach(options.ownCreations, (e) => apply(e, "own"))
    const followed = Stream.runForEach(events.stream, (item) => followItem(item, apply, events.commit, options))
    return yield* Effect.zipLeft(followed, own, { concurrent: true })
  }).pipe(Effect.withSpan("program.discover"))
