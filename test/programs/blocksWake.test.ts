/**
 * The blocks program is woken by a new job that carries sequences (an app's action), and not by a
 * job without any (which cannot make a block closable), nor by merge and settle jobs or other
 * transitions.
 */
import { describe, expect, it } from "@effect/vitest"
import type { JobTransition } from "../../src/layers/JobStore.js"
import { wakesBlocks } from "../../src/programs/blocks.js"
import { makeJob, tripleA } from "../api/fixture.js"

const transition = (over: Partial<JobTransition["data"]>, state: JobTransition["state"] = "pending"): JobTransition => ({
  data: { ...makeJob(1, tripleA), ...over },
  jobId: undefined,
  state,
  heldBy: undefined,
  error: undefined
})

describe("wakesBlocks", () => {
  it("wakes on a new job with sequences, only", () => {
    expect(wakesBlocks(transition({ appInstanceMethod: "prove", sequences: [7n] }))).toBe(true)
    expect(wakesBlocks(transition({ appInstanceMethod: "run", sequences: [] }))).toBe(false)
    expect(wakesBlocks(transition({ appInstanceMethod: "merge", sequences: [7n, 8n] }))).toBe(false)
    expect(wakesBlocks(transition({ appInstanceMethod: "settle", sequences: [7n] }))).toBe(false)
    expect(wakesBlocks(transition({ appInstanceMethod: "prove", sequences: [7n] }, "removed"))).toBe(false)
  })
})
