/**
 * The coordinator purges settled sequence states where the deployed one does (its merge pass):
 * on a localnet, once a block is settled on every chain, the merges program calls `purge` and the
 * chain's `last_purged_sequence` reaches `last_settled_sequence`, dropping the states below it.
 * The retry rule (32 sequences, then half as many after each failed call, down to 1) is checked
 * against an AppApi whose calls fail above a size.
 */
import { Effect, Fiber, Logger, LogLevel } from "effect"
import { describe, expect, it } from "vitest"
import type { AppCall } from "../../src/chain/appCalls.js"
import type { AppApiService } from "../../src/layers/AppApi.js"
import type { AppInstanceFields } from "../../src/layers/AppChain.js"
import { AppApi } from "../../src/layers/AppApi.js"
import { Config } from "../../src/layers/Config.js"
import { addSettlementChain, increaseSequence } from "../../src/localnet/appSeeding.js"
import { mergesProgram } from "../../src/programs/merges.js"
import { purgeSettled } from "../../src/programs/purge.js"
import { appApiForSuite } from "../api/appSuite.js"
import { waitUntil } from "../support/wait.js"

describe("purge of settled sequence states on a localnet", () => {
  const f = appApiForSuite()
  const instance = () => f.runtime.runPromise(Effect.flatMap(AppApi, (a) => a.chain.instance(f.appInstance)))

  it("the merges program purges once a block is settled everywhere", async () => {
    const { sessionId, jobId } = await f.holdJob()
    await increaseSequence(f.net.manifest, { count: 4 })
    f.net.chain.advanceClock(61_000)
    expect((await f.client.tryCreateBlock({ sessionId, jobId })).blockNumber).toBe(1n)
    expect((await f.client.updateBlockStateDataAvailability({ sessionId, jobId, blockNumber: 1n, stateDataAvailability: "state of block 1" })).success).toBe(true)
    expect((await f.client.updateBlockProofDataAvailability({ sessionId, jobId, blockNumber: 1n, proofDataAvailability: "proof of block 1" })).success).toBe(true)
    await addSettlementChain(f.net.manifest, "l2")

    const program = Effect.scoped(mergesProgram({ everyMs: 20 })).pipe(Effect.provide(Config.layerFromEnv({ SILVANA_APP_INSTANCES: f.net.manifest.appInstanceId })))
    const fiber = f.runtime.runFork(program)
    try {
      const before = await instance()
      expect(before).toMatchObject({ lastSettledSequence: 0n, lastPurgedSequence: 0n })
      // every state read once before the purge: AppChain now knows each entry's child object
      const kept = Array.from({ length: Number(before.sequenceStates.highest!) + 1 }, (_, i) => BigInt(i))
      const early = await f.runtime.runPromise(Effect.flatMap(AppApi, (a) => a.chain.sequenceStates(before, kept)))
      expect([...early.keys()].sort()).toEqual(kept)
      const settled = await f.client.updateBlockSettlement({ sessionId, jobId, blockNumber: 1n, chain: "l2", settlementTxHash: "0x1", settlementTxIncludedInBlock: true, settledAt: 7n })
      expect(settled).toMatchObject({ success: true })
      const upTo = (await instance()).lastSettledSequence
      expect(upTo).toBeGreaterThan(1n)
      await waitUntil("the settled states are purged", async () => (await instance()).lastPurgedSequence === upTo)
      const purged = await instance()
      expect(purged.sequenceStates.lowest).toBe(upTo)
      // the states below the last settled one are gone, though their children were known before
      // the purge; it and the later ones stay
      const all = Array.from({ length: Number(purged.sequenceStates.highest!) + 1 }, (_, i) => BigInt(i))
      const states = await f.runtime.runPromise(Effect.flatMap(AppApi, (a) => a.chain.sequenceStates(purged, all)))
      expect([...states.keys()].sort()).toEqual(all.filter((q) => q >= upTo))
    } finally {
      await f.runtime.runPromise(Fiber.interrupt(fiber))
    }
  })
})

describe("purgeSettled's retry rule", () => {
  const fields = (purged: bigint, settled: bigint) => ({ lastPurgedSequence: purged, lastSettledSequence: settled }) as AppInstanceFields
  /** An AppApi whose `purge` executes only for at most `fits` sequences; records the sizes asked. */
  const fake = (purged: bigint, settled: bigint, fits: bigint) => {
    const asked: Array<bigint> = []
    let state = fields(purged, settled)
    const api = {
      chain: { instance: () => Effect.succeed(state) },
      settlement: {
        coordinatorCall: (_: string, call: AppCall) =>
          Effect.sync(() => {
            const n = BigInt(String(call.args[0]!.v))
            asked.push(n)
            if (n > fits) return Effect.succeed({ result: "aborted" as const, txDigest: "d", detail: "InsufficientGas" })
            state = fields(state.lastPurgedSequence + n < settled ? state.lastPurgedSequence + n : settled, settled)
            return Effect.succeed({ result: "done" as const, txDigest: "d", detail: null })
          })
      }
    } as unknown as AppApiService
    return { api, asked }
  }

  const quiet = <A, E>(e: Effect.Effect<A, E>) => Effect.provide(e, Logger.minimumLogLevel(LogLevel.Error))

  it("asks for 32 first and halves after each failure, down to 1", async () => {
    const { api, asked } = fake(0n, 100n, 4n)
    expect(await Effect.runPromise(quiet(purgeSettled(api, "0x1")))).toBe(4n)
    expect(asked).toEqual([32n, 16n, 8n, 4n])
    const none = fake(0n, 100n, 0n)
    expect(await Effect.runPromise(quiet(purgeSettled(none.api, "0x1")))).toBe(0n)
    expect(none.asked).toEqual([32n, 16n, 8n, 4n, 2n, 1n])
  })

  it("makes no call when nothing settled is left to purge", async () => {
    const { api, asked } = fake(10n, 10n, 32n)
    expect(await Effect.runPromise(purgeSettled(api, "0x1"))).toBe(10n)
    expect(asked).toEqual([])
  })
})
