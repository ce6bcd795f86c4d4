/**
 * `create_merge_job` when a half cannot be reserved: the deployed `prover::start_proving` returns
 * `false` at the first half `reserve_proof` refuses, so the call answers None (Settlement's
 * `rejected`) and no merge job is made. The localnet used to go on past a refused half: it made
 * the job over a half another merge had used, or aborted on `option::borrow` when the half had no
 * DA hash yet. A localnet over real gRPC, the real AgentApi, Settlement's coordinator calls.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { arg } from "../../src/chain/appCalls.js"
import { increaseSequence } from "../../src/localnet/appSeeding.js"
import { Settlement } from "../../src/layers/Settlement.js"
import { appApiForSuite } from "./appSuite.js"

const mergeCall = (s1: Array<bigint>, s2: Array<bigint>) => ({
  fn: "create_merge_job",
  args: [arg.u64(1n), arg.vecU64([...s1, ...s2]), arg.vecU64(s1), arg.vecU64(s2), arg.optString("merge")],
  clock: true
})

describe("create_merge_job with a half that cannot be reserved", () => {
  const f = appApiForSuite({}, (f) => increaseSequence(f.net.manifest, { count: 5 }))
  const merge = async (s1: Array<bigint>, s2: Array<bigint>) =>
    (await f.runtime.runPromise(Effect.flatten(Effect.flatMap(Settlement, (s) => s.coordinatorCall(f.appInstance, mergeCall(s1, s2)))))).result

  it("answers None and makes no merge job, as the deployed start_proving", async () => {
    const { sessionId, jobId } = await f.holdJob()
    f.net.chain.advanceClock(61_000)
    expect((await f.client.tryCreateBlock({ sessionId, jobId })).blockNumber).toBe(1n)
    // [1,2,3] below is not the whole block: a block proof may take used proofs, other merges may not
    expect((await f.client.getBlock({ sessionId, jobId, blockNumber: 1n })).block!.endSequence).toBeGreaterThan(3n)
    const submit = async (m1: Array<bigint>, m2: Array<bigint> = []) => {
      const sequences = [...m1, ...m2]
      const merged = m2.length > 0
      const r = await f.client.submitProof({
        sessionId, jobId, blockNumber: 1n, sequences, mergedSequences1: merged ? m1 : [], mergedSequences2: m2, proof: `proof of ${sequences.join(",")}`, cpuTime: 1n
      })
      expect(r.success).toBe(true)
      await f.idle()
    }
    for (const s of [1n, 2n, 3n]) await submit([s])
    // [2,3], then (once a used proof may be merged again) [1,2] and [1,2,3] from [1,2] + [3]
    expect(await merge([2n], [3n])).toBe("done")
    await submit([2n], [3n])
    f.net.chain.advanceClock(301_000)
    expect(await merge([1n], [2n])).toBe("done")
    await submit([1n], [2n])
    expect(await merge([1n, 2n], [3n])).toBe("done")
    await submit([1n, 2n], [3n])
    // [1,2,3] rejected; merging it again from [1] + [2,3]: [1] is used by [1,2], so it is refused
    expect((await f.client.rejectProof({ sessionId, jobId, blockNumber: 1n, sequences: [1n, 2n, 3n] })).success).toBe(true)
    expect(await merge([1n], [2n, 3n])).toBe("rejected")
    // As on the deployed chain, the restart stands: [1,2,3] is started again (with no job until
    // its timeout), so a merge of it from its old halves is refused as already started.
    expect(await merge([1n, 2n], [3n])).toBe("rejected")
  })
})
