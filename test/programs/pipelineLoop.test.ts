/**
 * The pipeline programs' loop (src/programs/pipelineLoop.ts), on the TestClock with the in-memory
 * job store as the source of signals: a step that fails is run again after the retry wait, without
 * a new signal and long before the fallback timer (a program driven by events alone must not stall
 * on one refused read), the wait doubles while the failures go on and is capped by the fallback
 * period — per instance, whatever the others do — and a step's own wish to run at a time is kept.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option, Ref, TestClock } from "effect"
import type { AppInstanceId } from "../../src/domain/ids.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { pipelineLoop, retryDelay } from "../../src/programs/pipelineLoop.js"
import { APP_INSTANCE, makeJob, tripleA } from "../api/fixture.js"

/** The instance of the api fixture's jobs. */
const A = APP_INSTANCE
const B = "cd".repeat(32) as AppInstanceId
const HOUR = 3_600_000

class ReadRefused {
  readonly message = "the node refused the read"
}

/** Runs the loop over `instances` with `step`; the times (TestClock ms) each instance's step ran at. */
const loopWith = (instances: ReadonlyArray<AppInstanceId>, step: (id: AppInstanceId, call: number) => Effect.Effect<Option.Option<number>, ReadRefused>, everyMs = HOUR) =>
  Effect.gen(function* () {
    const calls = yield* Ref.make<ReadonlyArray<{ id: AppInstanceId; at: number }>>([])
    yield* Effect.forkScoped(
      pipelineLoop({
        name: "test",
        instances,
        everyMs,
        minGapMs: 10,
        retryMs: 500,
        wakeOn: (t) => t.state === "pending",
        step: (id) =>
          Effect.gen(function* () {
            const at = yield* Clock.currentTimeMillis
            const n = (yield* Ref.get(calls)).filter((c) => c.id === id).length
            yield* Ref.update(calls, (cs) => [...cs, { id, at }])
            return yield* step(id, n)
          })
      })
    )
    // let the loop start waiting
    yield* TestClock.adjust(0)
    const at = (id: AppInstanceId) => Effect.map(Ref.get(calls), (cs) => cs.filter((c) => c.id === id).map((c) => c.at))
    return { at }
  })

describe("pipeline loop", () => {
  it("retryDelay doubles from retryMs and stops at the fallback period", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(500, 10_000, n))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000])
    expect(retryDelay(500, 10_000, 1_000)).toBe(10_000)
  })

  it.scoped("a failed step runs again after the retry wait, with no new signal and the fallback timer an hour away", () =>
    Effect.gen(function* () {
      const { at } = yield* loopWith([A, B], (id, n) => (id === A && n === 0 ? Effect.fail(new ReadRefused()) : Effect.succeedNone))
      const store = yield* JobStore
      // a job of A signals the loop: its step fails
      yield* store.addPending(makeJob(1, tripleA))
      yield* TestClock.adjust(10)
      expect(yield* at(A)).toEqual([10])
      // nothing else happens, yet A is tried again 500 ms later (a full pass: B too)
      yield* TestClock.adjust(499)
      expect(yield* at(A)).toEqual([10])
      yield* TestClock.adjust(1)
      expect(yield* at(A)).toEqual([10, 510])
      expect(yield* at(B)).toEqual([510])
      // it succeeded: nothing more until the next signal
      yield* TestClock.adjust(60_000)
      expect(yield* at(A)).toEqual([10, 510])
    }).pipe(Effect.provide(JobStore.layerMemory())))

  it.scoped("while the step keeps failing the wait doubles, up to the fallback period", () =>
    Effect.gen(function* () {
      const { at } = yield* loopWith([A], () => Effect.fail(new ReadRefused()), 3_000)
      // the fallback timer starts it at 3 s; then 500, 1,000, 2,000, 3,000 (capped), 3,000 ms apart
      yield* TestClock.adjust(20_000)
      const times = yield* at(A)
      expect(times.slice(0, 6)).toEqual([3_000, 3_500, 4_500, 6_500, 9_500, 12_500])
    }).pipe(Effect.provide(JobStore.layerMemory())))

  it.scoped("an instance that keeps failing backs off although another one's steps succeed in between", () =>
    Effect.gen(function* () {
      const { at } = yield* loopWith([A, B], (id) => (id === A ? Effect.fail(new ReadRefused()) : Effect.succeedNone))
      const store = yield* JobStore
      // A's job wakes the loop at 0 (step at 10); then a job of B every 300 ms: passes of B alone, all fine
      yield* store.addPending(makeJob(1, tripleA))
      for (let i = 1; i <= 20; i++) {
        yield* TestClock.adjust(300)
        yield* store.addPending({ ...makeJob(1 + i, tripleA), appInstance: B })
      }
      yield* TestClock.adjust(2_000)
      // A: 10, then 500, 1,000, 2,000 and 4,000 ms after each failure, B's passes notwithstanding
      expect((yield* at(A)).slice(0, 5)).toEqual([10, 510, 1_510, 3_510, 7_510])
      expect((yield* at(B)).length).toBeGreaterThan(10)
    }).pipe(Effect.provide(JobStore.layerMemory())))

  it.scoped("a step's wish to run at a time is kept; a pass without failures resets the doubling", () =>
    Effect.gen(function* () {
      // A fails twice, then asks to run again at 5,000
      const { at } = yield* loopWith([A], (_, n) => (n < 2 ? Effect.fail(new ReadRefused()) : n === 2 ? Effect.succeed(Option.some(5_000)) : Effect.succeedNone))
      const store = yield* JobStore
      yield* store.addPending(makeJob(1, tripleA))
      yield* TestClock.adjust(10_000)
      expect(yield* at(A)).toEqual([10, 510, 1_510, 5_000])
    }).pipe(Effect.provide(JobStore.layerMemory())))
})
