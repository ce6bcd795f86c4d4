/**
 * Settlement across epoch changes: the localnet raises the reference gas price at every epoch, so
 * a coordinator that kept the price it read at start would be refused (`GasPriceUnderRGP`) for
 * good. Settlement takes the new price from the refusal, rebuilds, and loses no op.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { createJobs, makeSuiClient } from "../../src/localnet/client.js"
import { ChainState } from "../../src/layers/ChainState.js"
import { Journal } from "../../src/layers/Journal.js"
import { Settlement } from "../../src/layers/Settlement.js"
import { METHOD, scopedNet, suiLayer } from "./fixture.js"

it.scopedLive("settles every op while epochs change and the reference gas price rises", () => Effect.gen(function* () {
  const n = yield* scopedNet({ checkpointMs: 50, epochMs: 1_000, epochGasPriceStep: 7n })
  const client = makeSuiClient(n.manifest.grpcUrl)
  const referenceGasPrice = Effect.promise(async () => BigInt((await client.getReferenceGasPrice()).referenceGasPrice))
  const priceAtStart = yield* referenceGasPrice
  // the helper reads the price once: an epoch that ends meanwhile refuses it, and it is asked again
  const create = async (count: number): Promise<{ jobSequences: bigint[] }> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await createJobs(n.manifest, { count, method: METHOD, perTransaction: count })
      } catch (e) {
        if (attempt >= 5 || !/under reference gas price/.test(String(e))) throw e
      }
    }
  }
  const { jobSequences } = yield* Effect.promise(() => create(12))
  const layer = Layer.provideMerge(
    Layer.merge(Settlement.layer({ lingerMs: 5, retryInitialMs: 20, retryMaxMs: 200 }), ChainState.layer),
    Layer.merge(suiLayer(n), Journal.layerMemory)
  )
  const waitForNewEpoch = async () => {
    const epochNow = async () => (await client.ledgerService.getEpoch({})).response.epoch?.epoch ?? 0n
    const from = await epochNow()
    while ((await epochNow()) <= from) await new Promise((r) => setTimeout(r, 100))
  }
  const r = yield* Effect.scoped(
    Effect.gen(function* () {
      const settlement = yield* Settlement
      const chain = yield* ChainState
      const started = yield* settlement.start(n.manifest.appInstanceId, jobSequences)
      yield* Effect.promise(waitForNewEpoch)
      yield* Effect.forEach(jobSequences.slice(0, 6), (s) => settlement.complete(n.manifest.appInstanceId, s), { concurrency: "unbounded" })
      yield* settlement.awaitIdle
      yield* Effect.promise(waitForNewEpoch)
      yield* Effect.forEach(jobSequences.slice(6), (s) => settlement.complete(n.manifest.appInstanceId, s), { concurrency: "unbounded" })
      yield* settlement.awaitIdle
      const left = yield* chain.jobs(n.manifest.appInstanceId, jobSequences)
      return { started, left, stats: yield* settlement.stats }
    })
  ).pipe(Effect.provide(layer))
  const priceAtEnd = yield* referenceGasPrice
  expect(priceAtEnd).toBeGreaterThan(priceAtStart)
  expect([...r.started.values()].every((v) => v)).toBe(true)
  // every completion landed: completed jobs are gone from the app instance
  expect(r.left).toHaveLength(0)
  expect(r.stats.executedOps).toBe(24)
  // the refusals at the old price were taken as stale, not given up
  expect(r.stats.failedTransactions).toBeGreaterThanOrEqual(1)
}), 120_000)

it.scopedLive("a gas coin locked by another transaction leaves the pool for its epoch and comes back in the next", () => Effect.gen(function* () {
  // epochs long enough that the lock and the settling after it fall in one
  const n = yield* scopedNet({ checkpointMs: 50, epochMs: 4_000 })
  const client = makeSuiClient(n.manifest.grpcUrl)
  const { jobSequences } = yield* Effect.promise(() => createJobs(n.manifest, { count: 12, method: METHOD, perTransaction: 12 }))
  const layer = Layer.provideMerge(
    Layer.merge(Settlement.layer({ lingerMs: 5, retryInitialMs: 20, retryMaxMs: 200, gasCoins: 2 }), ChainState.layer),
    Layer.merge(suiLayer(n), Journal.layerMemory)
  )
  const epochNow = Effect.promise(async () => (await client.ledgerService.getEpoch({})).response.epoch?.epoch ?? 0n)
  const r = yield* Effect.scoped(
    Effect.gen(function* () {
      const settlement = yield* Settlement
      const chain = yield* ChainState
      const lockedIn = yield* epochNow
      // the first settlement transaction meets a lock on its gas coin (held by a transaction that never executes)
      n.faults.failNextExecutions(1, "lock-conflict")
      const started = yield* settlement.start(n.manifest.appInstanceId, jobSequences)
      const duringLock = { ...(yield* settlement.stats) }
      const sameEpoch = (yield* epochNow) === lockedIn
      while ((yield* epochNow) <= lockedIn) yield* Effect.sleep("100 millis")
      // settling in the next epoch: the pool asks the node's epoch and takes the coin back
      yield* Effect.forEach(jobSequences, (s) => settlement.complete(n.manifest.appInstanceId, s), { concurrency: "unbounded" })
      yield* settlement.awaitIdle
      const left = yield* chain.jobs(n.manifest.appInstanceId, jobSequences)
      return { started, left, duringLock, sameEpoch, after: yield* settlement.stats }
    })
  ).pipe(Effect.provide(layer))
  expect([...r.started.values()].every((v) => v)).toBe(true)
  expect(r.left).toHaveLength(0)
  expect(r.after.executedOps).toBe(24)
  expect(r.duringLock.versionConflicts).toBeGreaterThanOrEqual(1)
  // while the epoch lasts the pool runs on the other coin; in the next the locked one is back
  if (r.sameEpoch) expect(r.duringLock).toMatchObject({ lockedCoins: 1, coins: 1 })
  expect(r.after).toMatchObject({ lockedCoins: 0, unlockedCoins: 1, coins: 2 })
}), 120_000)
