/**
 * Health: a probe registered with `failAfter` is failing only from its `failAfter`-th unhealthy run
 * in a row; before that it is healthy-but-degraded with its error and the count; one healthy run
 * clears the count. A check without it fails at once. A check slower than the timeout counts as an
 * unhealthy run like any other. Time is the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import { Health, PROBE_FAIL_AFTER } from "../../src/layers/Health.js"
import { checksOf } from "../../src/layers/StatusPage.js"

describe("Health", () => {
  it.effect("fails a probe after three unhealthy runs in a row, degraded before; a healthy run resets the count", () =>
    Effect.gen(function* () {
      const health = yield* Health.make()
      const up = yield* Ref.make(true)
      yield* health.register(
        "probe",
        Effect.flatMap(Ref.get(up), (ok) => (ok ? Effect.succeed({ healthy: true, details: {} }) : Effect.fail(new Error("disk on fire")))),
        { failAfter: PROBE_FAIL_AFTER }
      )
      expect(PROBE_FAIL_AFTER).toBe(3)
      expect(yield* health.report).toMatchObject({ healthy: true, degraded: [], failing: [] })

      yield* Ref.set(up, false)
      const first = yield* health.report
      expect(first).toMatchObject({ healthy: true, degraded: ["probe"], failing: [] })
      expect(first.checks["probe"]).toEqual({ healthy: true, degraded: true, details: { error: "disk on fire", failing_runs: 1, fails_after: 3 } })
      // the status page shows it degraded with its error, not "ok"
      expect(checksOf(first)["probe"]).toEqual({ healthy: true, degraded: true, error: "disk on fire" })
      expect(yield* health.report).toMatchObject({ healthy: true, degraded: ["probe"] })
      const third = yield* health.report
      expect(third).toMatchObject({ healthy: false, failing: ["probe"], degraded: [] })
      expect(third.checks["probe"]).toEqual({ healthy: false, details: { error: "disk on fire" } })
      expect(checksOf(third)["probe"]).toEqual({ healthy: false, degraded: false, error: "disk on fire" })

      // one healthy run clears it at once, and the next failure starts counting again
      yield* Ref.set(up, true)
      expect(yield* health.report).toMatchObject({ healthy: true, degraded: [], failing: [] })
      yield* Ref.set(up, false)
      expect(yield* health.report).toMatchObject({ healthy: true, degraded: ["probe"] })
    })
  )

  it.effect("a check slower than its timeout is an unhealthy run; a check without failAfter fails at once", () =>
    Effect.gen(function* () {
      const health = yield* Health.make({ checkTimeout: "2 seconds" })
      yield* health.register("slow", Effect.as(Effect.sleep("5 seconds"), { healthy: true, details: {} }))
      const running = yield* Effect.fork(health.report)
      yield* TestClock.adjust("2 seconds")
      const report = yield* Fiber.join(running)
      expect(report).toMatchObject({ healthy: false, failing: ["slow"] })
      expect(report.checks["slow"]!.details["error"]).toMatch(/timed out after 2s/)
    })
  )

  it.effect("an unregistered check's count is forgotten", () =>
    Effect.gen(function* () {
      const health = yield* Health.make()
      const failing = Effect.succeed({ healthy: false, details: { error: "down" } })
      yield* health.register("probe", failing, { failAfter: 2 })
      yield* health.report
      yield* health.unregister("probe")
      yield* health.register("probe", failing, { failAfter: 2 })
      // a fresh first unhealthy run, not the second
      expect(yield* health.report).toMatchObject({ healthy: true, degraded: ["probe"] })
    })
  )
})
