/** Which method proves a rejected leaf again: the leaf's own job's, else `prove`, else the app's only own method. */
import { describe, expect, it } from "vitest"
import { isProveJob, LeafMethods, proveMethodFor } from "../../src/domain/proveMethod.js"

describe("the prove method of a leaf", () => {
  it("is the method of the job that proved it, while the instance still has it", () => {
    expect(proveMethodFor("prove_sum", ["prove_sum", "prove", "merge", "settle"])).toBe("prove_sum")
    expect(proveMethodFor("gone", ["prove", "merge", "settle"])).toBe("prove")
  })

  it("else `prove`, else the instance's only method that is not merge or settle, else none", () => {
    expect(proveMethodFor(undefined, ["add", "prove", "merge", "settle"])).toBe("prove")
    expect(proveMethodFor(undefined, ["prove_sum", "merge", "settle"])).toBe("prove_sum")
    expect(proveMethodFor(undefined, ["a", "b", "merge", "settle"])).toBeUndefined()
    expect(proveMethodFor(undefined, ["merge", "settle"])).toBeUndefined()
  })

  it("remembers leaves by instance, block and sequences, forgetting the oldest past its size", () => {
    const m = new LeafMethods(2)
    m.remember("i", 1n, [1n], "p1")
    m.remember("i", 1n, [2n], "p2")
    m.remember("j", 1n, [1n], "p3")
    expect([m.get("i", 1n, [1n]), m.get("i", 1n, [2n]), m.get("j", 1n, [1n]), m.get("i", 2n, [2n])]).toEqual([undefined, "p2", "p3", undefined])
  })

  it("takes an app's job for sequences of a block as a prove job, not the pipeline's merges and settlements", () => {
    const job = { sequences: [3n], blockNumber: 1n, appInstanceMethod: "prove_sum" }
    expect(isProveJob(job)).toBe(true)
    expect(isProveJob({ ...job, appInstanceMethod: "merge" })).toBe(false)
    expect(isProveJob({ ...job, appInstanceMethod: "settle" })).toBe(false)
    expect(isProveJob({ ...job, sequences: [] })).toBe(false)
    expect(isProveJob({ sequences: [3n], appInstanceMethod: "add" } as never)).toBe(false)
  })
})
