/**
 * The loop the proving-pipeline programs (blocks, merges, settlement) share: a pass over the
 * followed app instances, run when a job transition or an executed Move call of an instance
 * signals work (event-driven), when the pass itself asked to run again at a time (a block that
 * becomes due), or every `everyMs` as a fallback. Signals arriving while a pass runs are folded
 * into the next one.
 */
import { Clock, Duration, Effect, Option, Queue, Stream } from "effect"
import { type AppInstanceId, normalizeAppInstance } from "../domain/ids.js"
import { Config } from "../layers/Config.js"
import { type JobTransition, JobStore } from "../layers/JobStore.js"
import { Settlement, type SettlementOutcome } from "../layers/Settlement.js"

export interface PipelineLoopOptions {
  readonly name: string
  /** Fallback period of a full pass. */
  readonly everyMs: number
  /** Smallest gap between two passes, so a burst of signals makes one pass. */
  readonly minGapMs: number
  /** Which job transitions wake the program for the job's instance. */
  readonly wakeOn: (t: JobTransition) => boolean
  /** Which settled ops (e.g. an executed `submit_proof`) wake the program for the op's instance. */
  readonly wakeOnOutcome?: (o: SettlementOutcome) => boolean
  /** One pass over `instances`; may return the epoch ms at which it wants to run again. */
  readonly pass: (instances: ReadonlyArray<AppInstanceId>) => Effect.Effect<Option.Option<number>>
}

export const pipelineLoop = (o: PipelineLoopOptions) =>
  Effect.gen(function* () {
    const config = yield* Config
    const store = yield* JobStore
    const signals = yield* Queue.sliding<AppInstanceId>(4096)
    yield* store.observe((t) => {
      if (o.wakeOn(t)) Queue.unsafeOffer(signals, t.data.appInstance)
    })
    const wakeOnOutcome = o.wakeOnOutcome
    if (wakeOnOutcome !== undefined) {
      const settlement = yield* Settlement
      yield* Effect.forkScoped(
        Stream.runForEach(Stream.filter(settlement.outcomes, wakeOnOutcome), (x) => Queue.offer(signals, x.appInstance))
      )
    }
    const followed = new Set(config.appInstances.map(normalizeAppInstance))
    let wantAt = Number.POSITIVE_INFINITY
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
      const next = yield* o.pass(targets).pipe(
        Effect.catchAllCause((cause) => Effect.as(Effect.logWarning(`${o.name} pass failed; retrying on the next signal or tick`, cause), Option.none<number>()))
      )
      if (Option.isSome(next)) wantAt = Math.min(wantAt, next.value)
    }
  }).pipe(Effect.annotateLogs("program", `pipeline.${o.name}`))
