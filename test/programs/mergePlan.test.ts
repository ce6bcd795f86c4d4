import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  type BlockProofState,
  type MergeRequest,
  planMerges,
  blockProofStands,
  isProved,
  planReproves,
  PROOF_TIMEOUT_MS,
  ProofStatus,
  splitPoint
} from "../../src/domain/mergePlan.js"

/** A model of one block's `ProofCalculation` with the chain's rules, recording what each proof is made of. */
class Prover {
  readonly proofs = new Map<string, { sequences: Array<bigint>; status: ProofStatus; timestamp: bigint; halves?: [string, string]; leaves: Array<bigint> }>()
  now = 1_000_000n
  constructor(readonly start: bigint, public end: bigint | undefined) {}
  static key = (s: ReadonlyArray<bigint>) => s.join(",")
  state(): BlockProofState {
    const whole = this.end === undefined ? undefined : this.proofs.get(Prover.key(range(this.start, this.end)))
    return {
      blockNumber: 7n,
      startSequence: this.start,
      endSequence: this.end,
      isFinished: whole !== undefined && whole.status !== ProofStatus.Started && whole.status !== ProofStatus.Rejected,
      proofs: [...this.proofs.values()].map(({ sequences, status, timestamp }) => ({ sequences, status, timestamp }))
    }
  }
  proveLeaf(s: bigint) {
    this.proofs.set(Prover.key([s]), { sequences: [s], status: ProofStatus.Calculated, timestamp: this.now, leaves: [s] })
  }
  /** `start_proving` as `create_merge_job` calls it: false when the chain would refuse. */
  reserve(m: MergeRequest): boolean {
    const k = Prover.key(m.sequences)
    const existing = this.proofs.get(k)
    const timedOut = (p: { timestamp: bigint }) => this.now > p.timestamp + PROOF_TIMEOUT_MS
    if (existing !== undefined && existing.status !== ProofStatus.Rejected && !timedOut(existing)) return false
    const h1 = this.proofs.get(Prover.key(m.sequences1))
    const h2 = this.proofs.get(Prover.key(m.sequences2))
    const reservable = (p: typeof h1) => p !== undefined && (p.status === ProofStatus.Calculated || timedOut(p))
    if (!reservable(h1) || !reservable(h2)) return false
    for (const h of [h1!, h2!]) Object.assign(h, { status: ProofStatus.Reserved, timestamp: this.now })
    this.proofs.set(k, {
      sequences: [...m.sequences], status: ProofStatus.Started, timestamp: this.now,
      halves: [Prover.key(m.sequences1), Prover.key(m.sequences2)], leaves: []
    })
    return true
  }
  /**
   * `submit_proof` of a merge: the halves become used. Aborts (false) when a half was rejected or
   * restarted meanwhile, as the chain does (a stale duplicate job may have rejected it).
   */
  complete(k: string): boolean {
    const p = this.proofs.get(k)!
    const [a, b] = p.halves!.map((h) => this.proofs.get(h)!)
    const bad = [a!.status, b!.status].some((s) => s === ProofStatus.Started || s === ProofStatus.Rejected)
    if (bad) return false
    for (const h of [a!, b!]) Object.assign(h, { status: ProofStatus.Used, timestamp: this.now })
    Object.assign(p, { status: ProofStatus.Calculated, timestamp: this.now, leaves: [...a!.leaves, ...b!.leaves] })
    return true
  }
  /** `reject_proof`: the merge result is rejected and its halves handed back. */
  reject(k: string) {
    const p = this.proofs.get(k)!
    Object.assign(p, { status: ProofStatus.Rejected, timestamp: this.now })
    for (const h of p.halves!) Object.assign(this.proofs.get(h)!, { status: ProofStatus.Calculated, timestamp: this.now })
  }
}

const range = (a: bigint, b: bigint) => {
  const out: Array<bigint> = []
  for (let s = a; s <= b; s++) out.push(s)
  return out
}

/** The nodes (ranges) of the planner's tree over [a, b]. */
const treeNodes = (a: bigint, b: bigint, out = new Set<string>()): Set<string> => {
  out.add(`${a}-${b}`)
  if (a < b) {
    const s = splitPoint(a, b)
    treeNodes(a, s - 1n, out)
    treeNodes(s, b, out)
  }
  return out
}

/** What every single plan must satisfy against the state it was made from. */
const checkPlan = (state: BlockProofState, plan: ReadonlyArray<MergeRequest>, now: bigint) => {
  const used = new Set<bigint>()
  for (const m of plan) {
    // adjacent halves, their union the merge's range
    expect(m.sequences1[m.sequences1.length - 1]! + 1n).toBe(m.sequences2[0])
    expect(m.sequences).toEqual([...m.sequences1, ...m.sequences2])
    // each sequence in at most one merge of the plan
    for (const s of m.sequences) {
      expect(used.has(s)).toBe(false)
      used.add(s)
    }
    // never a proof that is reserved, started, used or rejected (unless its hold timed out)
    for (const half of [m.sequences1, m.sequences2]) {
      const p = state.proofs.find((x) => x.sequences.join(",") === half.join(","))
      expect(p).toBeDefined()
      const heldUntil = p!.timestamp + PROOF_TIMEOUT_MS
      expect(p!.status === ProofStatus.Calculated || (p!.status !== ProofStatus.Started && p!.status !== ProofStatus.Rejected && now > heldUntil)).toBe(true)
    }
  }
}

const arbBlock = fc.record({
  start: fc.bigInt({ min: 1n, max: 1000n }),
  size: fc.integer({ min: 1, max: 70 }),
  seed: fc.integer()
})

/**
 * Runs the pipeline for one block to the end: leaves arrive in random order, the planner runs each
 * round, merges are reserved, then complete, get rejected, or their job dies (a timeout later).
 */
const runBlock = (start: bigint, size: number, rand: () => number, endKnownFrom: number) => {
  const end = start + BigInt(size) - 1n
  const prover = new Prover(start, undefined)
  const order = range(start, end).sort(() => rand() - 0.5)
  const inFlight: Array<string> = []
  let rounds = 0
  let rejections = 0
  while (!prover.state().isFinished) {
    rounds += 1
    if (rounds > 2_000) throw new Error("the pipeline did not terminate")
    if (order.length > 0) prover.proveLeaf(order.pop()!)
    if (prover.end === undefined && order.length <= size - endKnownFrom) prover.end = end
    const state = prover.state()
    const plan = planMerges(state, prover.now)
    checkPlan(state, plan, prover.now)
    if (prover.end === undefined) {
      // planned while open: every merge is a node of the final tree, split as the final tree splits
      const nodes = treeNodes(start, end)
      for (const m of plan) {
        expect(nodes.has(`${m.sequences[0]}-${m.sequences[m.sequences.length - 1]}`)).toBe(true)
        expect(splitPoint(m.sequences[0]!, m.sequences[m.sequences.length - 1]!)).toBe(m.sequences2[0])
      }
    }
    for (const m of plan) {
      // the chain's reservation never refuses a plan made from the current state
      expect(prover.reserve(m)).toBe(true)
      inFlight.push(Prover.key(m.sequences))
    }
    // a random share of the merges in flight ends this round
    for (let i = inFlight.length - 1; i >= 0; i--) {
      const r = rand()
      if (r < 0.5) continue
      const k = inFlight.splice(i, 1)[0]!
      if (r < 0.9 || rejections >= 5) {
        // an aborted submit fails the job: its proof stays Started until the timeout
        if (!prover.complete(k)) prover.now += PROOF_TIMEOUT_MS + 1n
      } else if (r < 0.95) {
        rejections += 1
        prover.reject(k)
      } else {
        // the merge job died: its proof stays Started until the timeout
        prover.now += PROOF_TIMEOUT_MS + 1n
      }
    }
    prover.now += 10n
  }
  return { prover, rejections, rounds }
}

describe("merge planner", () => {
  it("splits a range in the middle when its size is a power of two, else after the largest power of two below it", () => {
    expect(splitPoint(0n, 7n)).toBe(4n)
    expect(splitPoint(0n, 5n)).toBe(4n)
    expect(splitPoint(10n, 12n)).toBe(12n)
    expect(splitPoint(10n, 11n)).toBe(11n)
  })

  it("plans the block proof from its two halves and nothing once the block is proved", () => {
    const calc = (s: Array<bigint>) => ({ sequences: s, status: ProofStatus.Calculated, timestamp: 0n })
    const block = { blockNumber: 3n, startSequence: 1n, endSequence: 3n, isFinished: false, proofs: [calc([1n, 2n]), calc([3n])] }
    expect(planMerges(block, 1n)).toEqual([{ blockNumber: 3n, sequences: [1n, 2n, 3n], sequences1: [1n, 2n], sequences2: [3n], blockProof: true }])
    expect(planMerges({ ...block, isFinished: true }, 1n)).toEqual([])
  })

  it("leaves a reserved half alone until its hold times out, and re-plans a rejected merge", () => {
    const p = (s: Array<bigint>, status: ProofStatus) => ({ sequences: s, status, timestamp: 0n })
    const reserved = { blockNumber: 1n, startSequence: 1n, endSequence: 2n, isFinished: false, proofs: [p([1n], ProofStatus.Reserved), p([2n], ProofStatus.Calculated)] }
    expect(planMerges(reserved, 10n)).toEqual([])
    expect(planMerges(reserved, PROOF_TIMEOUT_MS + 1n)).toHaveLength(1)
    const rejected = { ...reserved, proofs: [p([1n], ProofStatus.Calculated), p([2n], ProofStatus.Calculated), p([1n, 2n], ProofStatus.Rejected)] }
    expect(planMerges(rejected, 10n).map((m) => m.sequences)).toEqual([[1n, 2n]])
    const running = { ...reserved, proofs: [p([1n], ProofStatus.Reserved), p([2n], ProofStatus.Reserved), p([1n, 2n], ProofStatus.Started)] }
    expect(planMerges(running, 10n)).toEqual([])
  })

  it.prop(
    "every plan is disjoint and reservable; the pipeline ends with a block proof using each sequence once",
    [arbBlock, fc.integer({ min: 0, max: 70 })],
    ([{ seed, size, start }, endKnownFrom]) => {
      let x = seed >>> 0 || 1
      const rand = () => {
        // xorshift: reproducible from the seed fast-check shrinks
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        return (x >>> 0) / 2 ** 32
      }
      const { prover } = runBlock(start, size, rand, Math.min(endKnownFrom, size))
      const end = start + BigInt(size) - 1n
      const whole = prover.proofs.get(Prover.key(range(start, end)))!
      // each sequence's proof used exactly once in the block proof
      expect(whole.leaves).toEqual(range(start, end))
    },
    { fastCheck: { numRuns: 200 } }
  )

  it.prop(
    "without rejections or deaths each merge is created once",
    [fc.bigInt({ min: 0n, max: 100n }), fc.integer({ min: 1, max: 64 }), fc.integer()],
    ([start, size, seed]) => {
      const prover = new Prover(start, start + BigInt(size) - 1n)
      const created = new Set<string>()
      let order = range(start, start + BigInt(size) - 1n)
      order = order.map((s, i) => [s, (i * 7919 + seed) % 1009] as const).sort((a, b) => a[1] - b[1]).map(([s]) => s)
      let guard = 0
      while (!prover.state().isFinished) {
        if (++guard > 500) throw new Error("did not terminate")
        if (order.length > 0) prover.proveLeaf(order.shift()!)
        const plan = planMerges(prover.state(), prover.now)
        for (const m of plan) {
          const k = Prover.key(m.sequences)
          expect(created.has(k)).toBe(false)
          created.add(k)
          expect(prover.reserve(m)).toBe(true)
          expect(prover.complete(k)).toBe(true)
        }
      }
      // a binary tree over n leaves has n - 1 inner nodes
      expect(created.size).toBe(size - 1)
    }
  )

  describe("planReproves", () => {
    const now = 10_000_000n
    const block = (proofs: BlockProofState["proofs"], isFinished = false): BlockProofState => ({
      blockNumber: 3n, startSequence: 1n, endSequence: 4n, isFinished, proofs
    })
    const leaf = (s: bigint, status: ProofStatus, timestamp = now) => ({ sequences: [s], status, timestamp })

    it("proves a rejected leaf again, and a leaf whose restart timed out", () => {
      const plan = planReproves(
        block([
          leaf(1n, ProofStatus.Rejected), leaf(2n, ProofStatus.Calculated),
          leaf(3n, ProofStatus.Started, now - PROOF_TIMEOUT_MS - 1n), leaf(4n, ProofStatus.Started, now - 10n)
        ]),
        now
      )
      expect(plan.map((r) => r.sequences)).toEqual([[1n], [3n]])
      expect(plan.map((r) => r.status)).toEqual([ProofStatus.Rejected, ProofStatus.Started])
    })

    it("leaves rejected merges to planMerges (their halves come back) and finished blocks alone", () => {
      const halves = [leaf(1n, ProofStatus.Calculated), leaf(2n, ProofStatus.Calculated)]
      const rejectedMerge = { sequences: [1n, 2n], status: ProofStatus.Rejected, timestamp: now, merged: true }
      expect(planReproves(block([...halves, rejectedMerge]), now)).toEqual([])
      expect(planMerges(block([...halves, rejectedMerge]), now).map((m) => m.sequences)).toEqual([[1n, 2n]])
      expect(planReproves(block([leaf(1n, ProofStatus.Rejected)], true), now)).toEqual([])
    })

    it("a finished block whose block proof was rejected is planned again: its leaf proved again, its merge re-planned, until the new proof stands", () => {
      const single = (status: ProofStatus, timestamp = now): BlockProofState => ({
        blockNumber: 5n, startSequence: 7n, endSequence: 7n, isFinished: true, proofs: [leaf(7n, status, timestamp)]
      })
      expect(isProved(single(ProofStatus.Used), now)).toBe(true)
      expect(isProved(single(ProofStatus.Rejected), now)).toBe(false)
      // its proof is settled only once it stands again (not while rejected or being proved again)
      expect([ProofStatus.Used, ProofStatus.Calculated, ProofStatus.Rejected, ProofStatus.Started].map((st) => blockProofStands(single(st)))).toEqual([true, true, false, false])
      expect(planReproves(single(ProofStatus.Rejected), now).map((r) => r.sequences)).toEqual([[7n]])
      // its restart under way: nothing; timed out without a proof: again
      expect(planReproves(single(ProofStatus.Started, now - 10n), now)).toEqual([])
      expect(planReproves(single(ProofStatus.Started, now - PROOF_TIMEOUT_MS - 1n), now).map((r) => r.sequences)).toEqual([[7n]])
      // proved again (submit_proof finishes it again)
      expect(planReproves(single(ProofStatus.Calculated), now)).toEqual([])
      // a block proof made by a merge: reject_proof returned its halves, the merge is planned again
      const halves = [leaf(1n, ProofStatus.Calculated), leaf(2n, ProofStatus.Calculated), leaf(3n, ProofStatus.Used), leaf(4n, ProofStatus.Used)]
      const inner = [{ sequences: [1n, 2n], status: ProofStatus.Calculated, timestamp: now, merged: true }, { sequences: [3n, 4n], status: ProofStatus.Calculated, timestamp: now, merged: true }]
      const rejectedTop = { sequences: [1n, 2n, 3n, 4n], status: ProofStatus.Rejected, timestamp: now, merged: true }
      expect(planMerges(block([...halves, ...inner, rejectedTop], true), now).map((m) => m.sequences)).toEqual([[1n, 2n, 3n, 4n]])
      expect(planMerges(block([...halves, ...inner, { ...rejectedTop, status: ProofStatus.Calculated }], true), now)).toEqual([])
    })

    it("once the leaf is proved again, the merge above it is planned", () => {
      const others = [leaf(2n, ProofStatus.Calculated), { sequences: [1n, 2n], status: ProofStatus.Rejected, timestamp: now, merged: true }]
      expect(planMerges(block([leaf(1n, ProofStatus.Rejected), ...others]), now)).toEqual([])
      expect(planMerges(block([leaf(1n, ProofStatus.Calculated), ...others]), now).map((m) => m.sequences)).toEqual([[1n, 2n]])
    })
  })
})
