/**
 * The `settlement` health check reads the gas balance a fiber last read; it never waits on the
 * node. Against a real TCP server that accepts the gRPC connection and never answers (a node, or a
 * daemon too busy to read the answer), run through the Health registry with its 2 s check timeout
 * on the TestClock: the check answers healthy with the outbox's counters and no balance yet, where
 * a check that asked the node itself timed out and failed (red in a full-suite run at load 4, under
 * a flood of `/metrics`). Low gas still fails it. Settlement itself is a stand-in with its counters
 * only: the check reads nothing else of it, and a real one needs a chain to settle on.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, Ref, TestClock } from "effect"
import { Health, settlementWatch } from "../../src/layers/Health.js"
import type { SettlementService, SettlementStats } from "../../src/layers/Settlement.js"
import { silentNode } from "./silentNode.js"

const counters = (lowBalance: boolean): SettlementStats => ({
  transactions: 7, executedOps: 12, failedTransactions: 1, retries: 0, versionConflicts: 0, aborts: 0, maxInflightPerCoin: 1,
  coins: 4, merged: 0, lowBalance, lockedCoins: 0, unlockedCoins: 0, queued: 2, inflightTransactions: 1
})

const standIn = Effect.map(Ref.make(false), (low) => ({
  setLow: (b: boolean) => Ref.set(low, b),
  service: { stats: Effect.map(Ref.get(low), counters) } as unknown as SettlementService
}))

describe("the settlement check", () => {
  it.scoped("answers from what was last read while the node never answers; fails only on low gas", () =>
    Effect.gen(function* () {
      const sui = yield* silentNode
      const settlement = yield* standIn
      const health = yield* Health.make()
      yield* health.registerScoped("settlement", yield* settlementWatch(settlement.service, Option.some(sui)))

      // the registry gives a check 2 s (TestClock): a check that waited on the node would time out here
      const reporting = yield* Effect.fork(health.report)
      yield* TestClock.adjust("3 seconds")
      const report = yield* Fiber.join(reporting)
      expect(report.failing).toEqual([])
      expect(report.checks["settlement"]).toMatchObject({
        healthy: true,
        details: { transactions: 7, failedTransactions: 1, queued: 2, balance_mist: null, balance_read_ms_ago: null }
      })

      // the balance reads keep timing out (5 s each, every 5 s): the check still answers, healthy
      yield* TestClock.adjust("30 seconds")
      expect((yield* health.report).checks["settlement"]?.healthy).toBe(true)

      yield* settlement.setLow(true)
      const low = (yield* health.report).checks["settlement"]
      expect(low?.healthy).toBe(false)
      expect(low?.details["error"]).toBe("gas is low: fund the coordinator's address")
    })
  )
})
