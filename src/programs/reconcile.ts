/**
 * reconcile — brings the coordinator back in line with the chain, at start and periodically:
 * - pending jobs of every tracked app instance are loaded from chain state into the JobStore (what
 *   a replay gap or a restart could have hidden from the event stream);
 * - at start-up, jobs this coordinator started before a restart and still Running on chain are
 *   served again by new sessions (no attempt is burnt);
 * - jobs this coordinator started on chain that no session has held for longer than a bound, with
 *   no settlement under way, are failed on chain with the reason — never jobs another coordinator
 *   started;
 * - agents left behind by a crash (labelled with this coordinator's id, no live session) are
 *   stopped and removed.
 */
import { Clock, Duration, Effect, Option, Schedule } from "effect"
import type { AppInstanceId } from "../domain/ids.js"
import { AgentRuntime } from "../layers/AgentRuntime.js"
import { ChainState } from "../layers/ChainState.js"
import { jobDataOf } from "../chain/jobData.js"
import { JobStore } from "../layers/JobStore.js"
import { Journal } from "../layers/Journal.js"
import { Sessions } from "../layers/Sessions.js"
import { Settlement } from "../layers/Settlement.js"

export interface ReconcileOptions {
  readonly coordinatorId: string
  /**
   * At start-up, jobs this coordinator started before a restart that are still Running on chain
   * are served again (a new session takes them) instead of burning one of their attempts.
   */
  readonly reclaim?: boolean
  /** A job we started that nobody holds is failed only once it is this old (a session may be about to take it). */
  readonly orphanAfterMs: number
  /**
   * Also re-read the pending jobs the store already holds (after a replay gap or a rewind, when
   * events that changed them may be lost). Otherwise only jobs the store does not know are read:
   * the events keep the others current, and a periodic pass over 100,000 pending jobs would read
   * them all from the node every time.
   */
  readonly refresh?: boolean
}

/** Pending jobs read from the node per step. */
const PENDING_BATCH = 500

/** Adds the instance's pending jobs the store lacks (all of them with `refresh`); returns how many were new. */
export const loadPending = (ai: AppInstanceId, refresh: boolean, batch = PENDING_BATCH) =>
  Effect.gen(function* () {
    const chain = yield* ChainState
    const store = yield* JobStore
    const info = yield* chain.appInstance(ai)
    const seqs = refresh ? info.pendingJobs : yield* store.unknown(ai, info.pendingJobs)
    let loaded = 0
    for (let i = 0; i < seqs.length; i += batch) {
      const jobs = yield* chain.jobsInTable(info.jobsTableId, seqs.slice(i, i + batch))
      for (const job of jobs) {
        if (job.status._tag === "Pending" && (yield* store.addPending(jobDataOf(job)))) loaded += 1
      }
    }
    return loaded
  })

export interface ReconcileReport {
  readonly reclaimed: number
  readonly loadedPending: number
  readonly failedOrphans: number
  readonly sweptAgents: number
}

/** One reconciliation pass. */
export const reconcileOnce = (options: ReconcileOptions) =>
  Effect.gen(function* () {
    const chain = yield* ChainState
    const store = yield* JobStore
    const journal = yield* Journal
    const settlement = yield* Settlement
    const sessions = yield* Sessions
    const runtime = yield* AgentRuntime

    // 1. Pending jobs from chain state, read and added a batch at a time (never all at once).
    let loadedPending = 0
    for (const ai of yield* journal.appInstances) {
      loadedPending += yield* loadPending(ai, options.refresh === true).pipe(
        Effect.catchAll((e) => Effect.as(Effect.logWarning("cannot read pending jobs", { app_instance: ai, error: e.message }), 0))
      )
    }

    // 2. Agents a crash left behind.
    const live = new Set((yield* sessions.list).map((s) => s.id as string))
    const swept = yield* runtime.sweep(options.coordinatorId, live).pipe(
      Effect.catchAll((e) => Effect.as(Effect.logWarning("cannot sweep orphan agents", { error: e.message }), []))
    )
    if (swept.length > 0) yield* Effect.logWarning("removed agents left behind by an earlier run", { count: swept.length })

    // 3. Jobs we started that nobody holds.
    const open = new Set((yield* journal.openOps).map((op) => `${op.appInstance}:${op.jobSequence}`))
    const now = yield* Clock.currentTimeMillis
    let reclaimed = 0
    if (options.reclaim === true) {
      const byInstance = new Map<AppInstanceId, Array<bigint>>()
      for (const s of yield* journal.startedJobs) {
        if (open.has(`${s.appInstance}:${s.jobSequence}`)) continue
        byInstance.set(s.appInstance, [...(byInstance.get(s.appInstance) ?? []), s.jobSequence])
      }
      for (const [ai, seqs] of byInstance) {
        const jobs = yield* chain.jobs(ai, seqs).pipe(Effect.orElseSucceed(() => undefined))
        if (jobs === undefined) continue
        const running = new Map(jobs.filter((j) => j.status._tag === "Running").map((j) => [j.jobSequence, j]))
        for (const seq of seqs) {
          const job = running.get(seq)
          if (job === undefined) {
            // Settled or no longer ours on chain: nothing to hold.
            yield* journal.forgetStarted(ai, seq).pipe(Effect.ignore)
            continue
          }
          yield* store.addStarted(jobDataOf(job))
          reclaimed += 1
        }
      }
    }
    let failedOrphans = 0
    for (const started of yield* journal.startedJobs) {
      if (open.has(`${started.appInstance}:${started.jobSequence}`)) continue
      const known = yield* store.getBySequence(started.appInstance, started.jobSequence)
      const inUse = Option.isSome(known) && ["starting", "started", "held", "completed", "failed", "terminated"].includes(known.value.state)
      if (inUse || now - started.startedAt < options.orphanAfterMs) continue
      yield* settlement.fail(started.appInstance, started.jobSequence, "coordinator restarted: no agent holds this job any more").pipe(
        Effect.tap(() => Effect.sync(() => (failedOrphans += 1))),
        Effect.catchAll((e) => Effect.logWarning("cannot fail an orphaned job", { job_sequence: String(started.jobSequence), error: e.message }))
      )
    }
    const report: ReconcileReport = { reclaimed, loadedPending, failedOrphans, sweptAgents: swept.length }
    if (reclaimed + loadedPending + failedOrphans + swept.length > 0) yield* Effect.logInfo("reconciled with the chain", { ...report })
    return report
  }).pipe(Effect.withSpan("program.reconcile"))

/** Reconciles now and then every `every`; a failed pass is logged and retried at the next tick. */
export const reconcile = (options: ReconcileOptions, every: Duration.DurationInput) =>
  reconcileOnce(options).pipe(
    Effect.catchAllCause((cause) => Effect.logError("reconciliation failed", cause)),
    Effect.repeat(Schedule.spaced(every)),
    Effect.asVoid
  )
