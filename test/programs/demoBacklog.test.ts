import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { AppInstanceId, SessionId } from "../../src/domain/ids.js"
import type { JobData } from "../../src/domain/job.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { DEMO_BACKLOG, unlessBacklogged } from "../../src/programs/demo.js"
import { makeJob } from "../api/fixture.js"

const A = "ab".repeat(32) as AppInstanceId
const B = "cd".repeat(32) as AppInstanceId
const triple = { developer: "d", agent: "a", agentMethod: "prove" }
const session = `0x${"1".repeat(64)}` as SessionId

const job = (instance: AppInstanceId, seq: number): JobData => ({ ...makeJob(seq, triple), appInstance: instance })

describe("the demo waits while its instance is backlogged", () => {
  it.effect("a round runs below DEMO_BACKLOG open jobs of its instance, not at it; jobs over or of another instance do not count", () =>
    Effect.gen(function* () {
      const store = yield* JobStore
      let rounds = 0
      const round = unlessBacklogged(`0x${A}`, Effect.sync(() => (rounds += 1)))

      // open jobs in every state that is not over: pending, started, held
      for (let i = 1; i < DEMO_BACKLOG; i++) yield* store.addPending(job(A, i))
      const held = yield* store.addStarted(job(A, 1000))
      expect(held).toMatch(/^sn/)
      yield* round
      expect(rounds).toBe(0)

      // one of them over: below the bound again, the round runs
      const taken = Option.getOrThrow(yield* store.takeNext(session, triple))
      expect((yield* store.report(session, taken.jobId!, "complete"))._tag).toBe("Accepted")
      yield* round
      expect(rounds).toBe(1)

      // another instance's backlog does not hold this one back, nor this one's the other's
      for (let i = 1; i <= DEMO_BACKLOG; i++) yield* store.addPending(job(B, i))
      yield* round
      expect(rounds).toBe(2)
      yield* unlessBacklogged(B, Effect.sync(() => (rounds += 1)))
      expect(rounds).toBe(2)
    }).pipe(Effect.provide(JobStore.layerMemory()))
  )
})
