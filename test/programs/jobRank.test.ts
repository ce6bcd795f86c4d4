import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { AppInstanceId, SessionId } from "../../src/domain/ids.js"
import type { JobData } from "../../src/domain/job.js"
import { compareJobRank, jobRankKey } from "../../src/domain/jobRank.js"
import { JobTable } from "../../src/layers/JobStore.js"

const AI = "ab".repeat(32) as AppInstanceId
const T = { developer: "d", agent: "a", agentMethod: "m" }

const job = (seq: number, method: string, block?: number, sequences = 0): JobData => ({
  appInstance: AI,
  jobSequence: BigInt(seq),
  ...T,
  app: "app",
  appInstanceMethod: method,
  ...(block === undefined ? {} : { blockNumber: BigInt(block) }),
  sequences: Array.from({ length: sequences }, (_, i) => BigInt(i + 1)),
  sequences1: [],
  sequences2: [],
  data: new Uint8Array(),
  attempts: 0,
  createdAt: 0n,
  updatedAt: 0n
})

/**
 * The order as the deployed coordinator states it, field by field: the oracle the numeric rank is
 * checked against (settle first; then the lowest block, no block last; then the fewest sequences;
 * then the job sequence).
 */
const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0)
const specOrder = (a: JobData, b: JobData): number => {
  const settleA = a.appInstanceMethod === "settle"
  const settleB = b.appInstanceMethod === "settle"
  if (settleA !== settleB) return settleA ? -1 : 1
  if (!settleA) {
    if (a.blockNumber !== b.blockNumber) {
      if (a.blockNumber === undefined) return 1
      if (b.blockNumber === undefined) return -1
      const byBlock = cmpBig(a.blockNumber, b.blockNumber)
      if (byBlock !== 0) return byBlock
    }
    const bySize = a.sequences.length - b.sequences.length
    if (bySize !== 0) return bySize
  }
  return cmpBig(a.jobSequence, b.jobSequence)
}

const arbJob = fc
  .record({
    seq: fc.nat(1_000),
    method: fc.constantFrom("settle", "prove", "merge"),
    block: fc.option(fc.nat(5), { nil: undefined }),
    size: fc.nat(4)
  })
  .map(({ block, method, seq, size }) => job(seq, method, block, size))

describe("job ranking", () => {
  it("settle first, then the lowest block, then the fewest sequences, then the job sequence; no block last", () => {
    const jobs = [
      job(1, "prove"),
      job(2, "merge", 3, 2),
      job(3, "prove", 3, 1),
      job(4, "prove", 2, 1),
      job(5, "settle"),
      job(6, "merge", 2, 4),
      job(7, "prove", 2, 1),
      job(8, "settle", 9)
    ]
    expect([...jobs].sort(compareJobRank).map((j) => Number(j.jobSequence))).toEqual([5, 8, 4, 7, 6, 3, 2, 1])
  })

  it.prop("is a total preorder: antisymmetric and transitive", [arbJob, arbJob, arbJob], ([a, b, c]) => {
    // (a sum, not a negation: -0 and 0 are different values to toBe)
    expect(Math.sign(compareJobRank(a, b)) + Math.sign(compareJobRank(b, a))).toBe(0)
    if (compareJobRank(a, b) <= 0 && compareJobRank(b, c) <= 0) expect(compareJobRank(a, c)).toBeLessThanOrEqual(0)
  })

  it.prop("the numeric rank key orders two jobs as the rule stated field by field does", [arbJob, arbJob], ([a, b]) => {
    const [ka, kb] = [jobRankKey(a), jobRankKey(b)]
    const i = ka.findIndex((x, n) => x !== kb[n])
    const byKey = i === -1 ? 0 : ka[i]! < kb[i]! ? -1 : 1
    expect(byKey).toBe(Math.sign(specOrder(a, b)))
    expect(Math.sign(compareJobRank(a, b))).toBe(byKey)
  })

  it.prop(
    "the store hands a triple's started jobs out in rank order, equal ranks in arrival order",
    [fc.uniqueArray(arbJob, { selector: (j) => j.jobSequence, maxLength: 60 }), fc.array(fc.nat(59), { maxLength: 10 })],
    ([jobs, removed]) => {
      const t = new JobTable({ coordinatorId: "c", chain: "x" }, () => 0)
      for (const j of jobs) t.addStarted(j)
      // jobs taken away in the middle of the queue are skipped
      const gone = new Set(removed.filter((i) => i < jobs.length).map((i) => jobs[i]!.jobSequence))
      for (const seq of gone) t.remove(AI, seq)
      const session = `0x${"1".repeat(64)}` as SessionId
      const handed: Array<bigint> = []
      for (;;) {
        const next = t.takeNext(session, T)
        if (next._tag === "None") break
        handed.push(next.value.jobSequence)
      }
      const expected = jobs
        .map((j, arrival) => ({ j, arrival }))
        .filter(({ j }) => !gone.has(j.jobSequence))
        .sort((x, y) => specOrder(x.j, y.j) || x.arrival - y.arrival)
        .map(({ j }) => j.jobSequence)
      expect(handed).toEqual(expected)
    }
  )

  it("claims pending jobs for start in rank order too", () => {
    const t = new JobTable({ coordinatorId: "c", chain: "x" }, () => 0)
    for (const j of [job(1, "prove", 4, 1), job(2, "merge", 1, 2), job(3, "settle"), job(4, "prove", 1, 1)]) t.addPending(j)
    expect(t.claimForStart(T, 3).map((j) => Number(j.jobSequence))).toEqual([3, 4, 2])
    expect(t.claimForStart(T, 3).map((j) => Number(j.jobSequence))).toEqual([1])
  })
})
