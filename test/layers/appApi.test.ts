/** The AppApi's index of accepted proofs is bounded: the oldest entries are forgotten first. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeAppApi, MAX_REMEMBERED } from "../../src/layers/AppApi.js"
import { AppChain, type AppChainService } from "../../src/layers/AppChain.js"
import { DataAvailability, type DataAvailabilityService } from "../../src/layers/DataAvailability.js"
import { Journal, type JournalService } from "../../src/layers/Journal.js"
import { Settlement, type SettlementService } from "../../src/layers/Settlement.js"

describe("AppApi's accepted proofs", () => {
  it.effect("keeps at most MAX_REMEMBERED, forgetting the oldest; a proof remembered again is young again", () =>
    Effect.gen(function* () {
      const api = yield* makeAppApi.pipe(
        Effect.provideService(Settlement, {} as SettlementService),
        Effect.provideService(AppChain, {} as AppChainService),
        Effect.provideService(DataAvailability, {} as DataAvailabilityService),
        Effect.provideService(Journal, {} as JournalService)
      )
      for (let i = 0; i < MAX_REMEMBERED; i++) api.rememberProof("a", 1n, [BigInt(i)], `d${i}`)
      api.rememberProof("a", 1n, [0n], "d0") // refreshed: now the youngest
      api.rememberProof("a", 1n, [BigInt(MAX_REMEMBERED)], "dlast")
      expect(api.acceptedProof("a", 1n, [0n])).toBe("d0")
      expect(api.isAccepted("d0")).toBe(true)
      expect(api.acceptedProof("a", 1n, [1n])).toBeUndefined()
      expect(api.isAccepted("d1")).toBe(false)
      expect(api.acceptedProof("a", 1n, [BigInt(MAX_REMEMBERED)])).toBe("dlast")
      expect(api.acceptedProof("a", 1n, [2n])).toBe("d2")
    })
  )
})
