import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  commit, decodeProof, encodeProof, type HashProof, mergeProofs, proveStep, u64le, verifyAgainstStates
} from "../../examples/pipeline-agent/hashProof.js"
import { proveSequences } from "../../examples/pipeline-agent/jobs.js"
import { FileLedger } from "../../examples/pipeline-agent/ledger.js"

/** States after each of `values` added to 0: states[0] = 0, states[i] = Σ values[0..i). */
const statesOf = (values: ReadonlyArray<bigint>) => {
  const out = [u64le(0n)]
  let sum = 0n
  for (const v of values) out.push(u64le((sum += v)))
  return out
}

/** Merges the step proofs of [first, first + n) in a random binary shape. */
const mergeRandomly = (proofs: Array<HashProof>, pick: () => number): HashProof => {
  while (proofs.length > 1) {
    const i = pick() % (proofs.length - 1)
    const m = mergeProofs(proofs[i]!, proofs[i + 1]!)
    if (!m.ok) throw new Error(m.reason)
    proofs.splice(i, 2, m.proof)
  }
  return proofs[0]!
}

describe("pipeline agent proofs", () => {
  it.prop(
    "any merge order of a range's step proofs verifies against its states",
    [fc.array(fc.bigInt({ min: 0n, max: 1000n }), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: 40, maxLength: 40 })],
    ([values, picks]) => {
      const states = statesOf(values)
      const steps = values.map((_, i) => proveStep(BigInt(i + 1), states[i]!, states[i + 1]!))
      let k = 0
      const whole = mergeRandomly(steps, () => picks[k++ % picks.length]!)
      expect(verifyAgainstStates(whole, states)).toBeUndefined()
      expect(decodeProof(encodeProof(whole))).toEqual(whole)
    }
  )

  it("a wrong merge is refused or detected: gap, broken link, a sequence twice, a forged digest", () => {
    const states = statesOf([5n, 7n, 11n, 13n])
    const step = (i: number) => proveStep(BigInt(i), states[i - 1]!, states[i]!)
    // not adjacent
    expect(mergeProofs(step(1), step(3)).ok).toBe(false)
    // adjacent ranges whose states do not link: a step proved from a wrong state
    const forged = proveStep(2n, u64le(999n), states[2]!)
    const broken = mergeProofs(step(1), forged)
    expect(broken.ok).toBe(false)
    // a sequence counted twice: same endpoints, wrong digest
    const m12 = mergeProofs(step(1), step(2))
    const m34 = mergeProofs(step(3), step(4))
    if (!m12.ok || !m34.ok) throw new Error("unexpected")
    const whole = mergeProofs(m12.proof, m34.proof)
    if (!whole.ok) throw new Error("unexpected")
    expect(verifyAgainstStates(whole.proof, states)).toBeUndefined()
    const doubled = { ...whole.proof, digest: (BigInt(`0x${whole.proof.digest}`) + BigInt(`0x${step(2).digest}`)).toString(16).padStart(64, "0").slice(-64) }
    expect(verifyAgainstStates(doubled, states)).toMatch(/digest/)
    // a proof that claims the wrong end state
    expect(verifyAgainstStates({ ...whole.proof, to: commit(u64le(1n)) }, states)).toMatch(/end/)
    expect(decodeProof("hc1:1:2:zz")).toBeUndefined()
  })

  it("the prove step replays actions on the chain's states and refuses a wrong optimistic state", () => {
    const seq = (sequence: bigint, add: bigint, sum: bigint, state?: bigint) => ({
      sequence, optimisticState: Buffer.from(u64le(sum)), transitionData: Buffer.from(u64le(add)), ...(state === undefined ? {} : { state: Buffer.from(u64le(state)) })
    })
    const ok = proveSequences([3n], [seq(2n, 4n, 4n, 4n), seq(3n, 6n, 10n)])
    expect(ok.ok && ok.after).toEqual([10n])
    if (ok.ok) expect(verifyAgainstStates(ok.proof, [u64le(4n), u64le(10n)])).toBeUndefined()
    const bad = proveSequences([3n], [seq(2n, 4n, 4n), seq(3n, 6n, 11n)])
    expect(bad.ok).toBe(false)
    // the app's first sequence starts from 0
    const first = proveSequences([1n, 2n], [seq(1n, 2n, 2n), seq(2n, 3n, 5n)])
    expect(first.ok && first.after).toEqual([2n, 5n])
  })

  it("the file ledger chains its lines, repeats a known block's hash and notices a rewrite", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ledger-"))
    try {
      const ledger = new FileLedger(path.join(dir, "l.jsonl"))
      const h1 = ledger.settle("ai", 1n, "p1")
      const h2 = ledger.settle("ai", 2n, "p2")
      expect(h1).not.toBe(h2)
      expect(ledger.settle("ai", 1n, "p1")).toBe(h1)
      expect(ledger.entries()).toHaveLength(2)
      expect(ledger.intact()).toBe(true)
      fs.writeFileSync(ledger.file, fs.readFileSync(ledger.file, "utf8").replace('"p1"', '"px"'))
      expect(ledger.intact()).toBe(false)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
