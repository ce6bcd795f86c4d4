/**
 * The loop the proving-pipeline programs (blocks, merges, settlement, status) share: a step for
 * each followed app instance, run when a job transition or an executed Move call of the instance
 * signals work (event-driven), when a step asked to run again at a time (a block that becomes
 * due), or every `everyMs` as a fallback. Signals arriving while a pass runs are folded into the
 * next one. A step that fails (a read the node refused, a call that could not be sent) is run
 * again after `retryMs`, doubling while that instance's failures go on, up to `everyMs`: the signal
 * that woke it is not lost with it, so a program driven by events alone does not stall on one bad
 * read, and an instance that keeps failing backs off whatever the other instances do.
 */
import { Clock, Duration, Effect, Either, Option, Queue, Stream } from "effect"
import { type AppInstanceId, normalizeAppInstance } from "../domain/ids.js"
import { type JobTransition, JobStore } from "../layers/JobStore.js"
import type { SettlementOutcome } from "../layers/Settlement.js"

/** First wait before a failed step runs again. */
export const PIPELINE_RETRY_MS = 500

/** Instances a pass handles at once. */
const CONCURRENCY = 4

export interface PipelineLoopOptions<E extends { readonly message: string }> {
  readonly name: string
  /** The instances followed from the start; an instance that signals work joins them. */
  readonly instances: ReadonlyArray<string>
  /** Fallback period of a full pass. */
  readonly everyMs: number
  /** Smallest gap between two passes, so a burst of signals makes one pass. */
  readonly minGapMs: number
  /** First wait before a failed step runs again (default `PIPELINE_RETRY_MS`). */
  readonly retryMs?: number
  /** Which job transitions wake the program for the job's instance. */
  readonly wakeOn: (t: JobTransition) => boolean
  /** Settled ops that wake the program for the op's instance (e.g. its executed `submit_proof`s). */
  readonly wakeOnOutcomes?: Stream.Stream<Pick<SettlementOutcome, "appInstance">>
  /** One instance's turn; may answer the epoch ms at which it wants to run again. */
  readonly step: (instance: AppInstanceId) => Effect.Effect<Option.Option<number>, E>
}

/** When a failed step runs again: `retryMs` doubled per failure in a row of its instance, at most `everyMs`. */
export const retryDelay = (retryMs: number, everyMs: number, failuresInARow: number): number =>
  Math.min(everyMs, retryMs * 2 ** Math.min(30, Math.max(0, failuresInARow - 1)))

export const pipelineLoop = <E extends { readonly message: string }>(o: PipelineLoopOptions<E>) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const signals = yield* Queue.sliding<AppInstanceId>(4096)
    yield* store.observe((t) => {
      if (o.wakeOn(t)) Queue.unsafeOffer(signals, t.data.appInstance)
    })
    if (o.wakeOnOutcomes !== undefined) yield* Effect.forkScoped(Stream.runForEach(o.wakeOnOutcomes, (x) => Queue.offer(signals, x.appInstance)))
    const followed = new Set(o.instances.map(normalizeAppInstance))
    const retryMs = o.retryMs ?? PIPELINE_RETRY_MS
    let wantAt = Number.POSITIVE_INFINITY
    /** Failures in a row, per instance (an instance whose step succeeds is not here). */
    const failuresInARow = new Map<AppInstanceId, number>()
    /** Counts a failure of `id`; when its step should run again. */
    const retryAt = (id: AppInstanceId, now: number) => {
      const n = (failuresInARow.get(id) ?? 0) + 1
      failuresInARow.set(id, n)
      return now + retryDelay(retryMs, o.everyMs, n)
    }
    /** One pass over `targets`: the earliest time a step asked for, a retry when a step failed. */
    const pass = (targets: ReadonlyArray<AppInstanceId>) =>
      Effect.gen(function* () {
        const results = yield* Effect.forEach(targets, (id) => Effect.either(o.step(id)), { concurrency: CONCURRENCY })
        const now = yield* Clock.currentTimeMillis
        let next = Number.POSITIVE_INFINITY
        for (const [i, r] of results.entries()) {
          const id = targets[i]!
          if (Either.isRight(r)) {
            failuresInARow.delete(id)
            if (Option.isSome(r.right)) next = Math.min(next, r.right.value)
            continue
          }
          next = Math.min(next, retryAt(id, now))
          yield* Effect.logInfo(`${o.name}: cannot handle the instance; it is tried again`, { app_instance: id, error: r.left.message })
        }
        return next
      })
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const wait = Math.max(0, Math.min(o.everyMs, wantAt - now))
      const woke = yield* Queue.take(signals).pipe(Effect.timeout(Duration.millis(wait)), Effect.option)
      const due = (yield* Clock.currentTimeMillis) >= wantAt
      let targets: ReadonlyArray<AppInstanceId>
      const full = Option.isNone(woke) || due
      if (full) {
        yield* Queue.takeAll(signals)
        targets = [...followed]
      } else {
        yield* Effect.sleep(Duration.millis(o.minGapMs))
        const more = yield* Queue.takeAll(signals)
        targets = [...new Set([woke.value, ...more])]
      }
      for (const t of targets) followed.add(t)
      // A full pass replaces every earlier wish; a partial one only adds its own.
      if (full) wantAt = Number.POSITIVE_INFINITY
      const next = yield* pass(targets).pipe(
        // a defect in a step: the whole pass again after the retry wait, as for a failure
        Effect.catchAllCause((cause) =>
          Effect.zipRight(
            Effect.logWarning(`${o.name} pass failed; retrying`, cause),
            Effect.map(Clock.currentTimeMillis, (now) => Math.min(...targets.map((id) => retryAt(id, now))))
          )
        )
      )
      wantAt = Math.min(wantAt, next)
    }
  }).pipe(Effect.annotateLogs("program", `pipeline.${o.name}`))
