/**
 * The pipeline's status (what the status page, `status` and /metrics show): actions seen through
 * a real JobStore, the instance's fields read at TestClock times, and the blocks closed, proved
 * and settled with each stage's latency; blocks closed between two reads, an instance first seen
 * mid-way, and the `status` lines.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { pipelineLines } from "../../src/cli/commands.js"
import { normalizeAppInstance } from "../../src/domain/ids.js"
import type { JobData } from "../../src/domain/job.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { type InstanceProgress, PipelineStatus } from "../../src/layers/PipelineStatus.js"
import { PipelineTracker } from "../../src/layers/status/pipeline.js"
import { APP_INSTANCE, makeJob, tripleA } from "../api/fixture.js"

const action = (seq: number, createdAt: number): JobData => ({
  ...makeJob(1000 + seq, { ...tripleA, agentMethod: "prove" }),
  appInstanceMethod: "prove",
  sequences: [BigInt(seq)],
  blockNumber: 1n,
  createdAt: BigInt(createdAt)
})

const fields = (o: { seq: number; block: number; prevLast: number; proved: number; settled: ReadonlyArray<number> }): InstanceProgress => ({
  sequence: BigInt(o.seq),
  blockNumber: BigInt(o.block),
  previousBlockLastSequence: BigInt(o.prevLast),
  lastProvedBlockNumber: BigInt(o.proved),
  lastSettled: o.settled.map(BigInt)
})

const layer = PipelineStatus.layer.pipe(Layer.provideMerge(JobStore.layerMemory()))

describe("pipeline status", () => {
  it.scoped("follows actions into blocks closed, proved and settled, with each stage's latency", () =>
    Effect.gen(function* () {
      const status = yield* PipelineStatus
      const store = yield* JobStore
      // first read: nothing closed yet (block 1 open)
      yield* status.observe(APP_INSTANCE, fields({ seq: 1, block: 1, prevLast: 0, proved: 0, settled: [0] }))
      // three actions at 0, 100, 200 ms; a merge job is not an action
      yield* store.addPending(action(1, 0))
      yield* store.addPending(action(2, 100))
      yield* store.addPending(action(3, 200))
      yield* store.addPending({ ...action(3, 200), jobSequence: 2000n, appInstanceMethod: "merge", sequences: [1n, 2n] })
      yield* TestClock.setTime(1_000)
      yield* status.observe(APP_INSTANCE, fields({ seq: 4, block: 2, prevLast: 3, proved: 0, settled: [0] }))
      yield* TestClock.setTime(4_000)
      yield* status.observe(APP_INSTANCE, fields({ seq: 4, block: 2, prevLast: 3, proved: 1, settled: [0] }))
      yield* TestClock.setTime(4_500)
      // settled on one chain only: not yet settled everywhere
      yield* status.observe(APP_INSTANCE, fields({ seq: 4, block: 2, prevLast: 3, proved: 1, settled: [1, 0] }))
      let v = yield* status.view
      expect(v.blocksSettled).toBe(0)
      yield* TestClock.setTime(5_000)
      yield* status.observe(APP_INSTANCE, fields({ seq: 4, block: 2, prevLast: 3, proved: 1, settled: [1, 1] }))
      v = yield* status.view
      expect({ actions: v.actions, closed: v.blocksClosed, proved: v.blocksProved, settled: v.blocksSettled }).toEqual({ actions: 3, closed: 1, proved: 1, settled: 1 })
      expect(v.latencyMs.actionToBlockClosed).toMatchObject({ samples: 3, p50: 900, p99: 1000 })
      expect(v.latencyMs.blockClosedToProved).toMatchObject({ samples: 1, p50: 3000 })
      expect(v.latencyMs.blockProvedToSettled).toMatchObject({ samples: 1, p50: 1000 })
      expect(v.latencyMs.actionToSettled).toMatchObject({ samples: 3, p50: 4900, p99: 5000 })
      expect(v.instances).toEqual([
        { instance: `0x${normalizeAppInstance(APP_INSTANCE)}`, sequence: 4, lastBlockClosed: 1, lastBlockProved: 1, lastBlockSettled: 1, actionsWaiting: 0 }
      ])
      expect(v.blocks).toEqual([
        { instance: `0x${normalizeAppInstance(APP_INSTANCE)}`, lastBlock: 1, blocks: 1, firstSequence: 1, lastSequence: 3, closedAt: 1000, provedAt: 4000, settledAt: 5000 }
      ])
      const lines = pipelineLines(v)
      expect(lines[0]).toBe("pipeline since start: actions 3, blocks closed 1, proofs 0 (rejected 0), merge jobs 0, blocks proved 1, settled 1")
      expect(lines[1]).toContain("action → settled p50 4.9 s, p99 5.0 s")
    }).pipe(Effect.provide(layer))
  )

  it("counts blocks closed between two reads together, and starts an instance first seen mid-way from where it is", () => {
    const t = new PipelineTracker()
    // first seen with 4 blocks closed, 2 proved, 1 settled: none of them is counted
    t.observe("a", fields({ seq: 41, block: 5, prevLast: 40, proved: 2, settled: [1] }), 0)
    for (let s = 41; s <= 60; s++) t.action("a", BigInt(s), 10)
    // an action of a sequence already in a closed block (a prove job created again) is not new
    t.action("a", 40n, 10)
    // blocks 5 and 6 closed between reads: one group, sequences 41–60
    const step = t.observe("a", fields({ seq: 61, block: 7, prevLast: 60, proved: 2, settled: [1] }), 1_000)
    expect(step.closed).toBe(2)
    expect(step.actionToClosedMs).toHaveLength(20)
    // the instance's earlier blocks 3 and 4 get proved and settled too: not counted (they closed
    // before the first read), so every count is of the blocks closed since
    t.observe("a", fields({ seq: 61, block: 7, prevLast: 60, proved: 6, settled: [6] }), 3_000)
    expect(t.counts).toEqual({ actions: 20, blocksClosed: 2, blocksProved: 2, blocksSettled: 2 })
    expect(t.closedToProved.percentiles()).toMatchObject({ samples: 1, p50: 2_000 })
    expect(t.actionToSettled.percentiles()).toMatchObject({ samples: 20, p50: 2_990 })
    expect(t.blocksView()[0]).toMatchObject({ lastBlock: 6, blocks: 2, firstSequence: 41, lastSequence: 60, closedAt: 1_000, provedAt: 3_000, settledAt: 3_000 })
  })

  it("keeps the recent blocks bounded and newest first", () => {
    const t = new PipelineTracker()
    t.observe("a", fields({ seq: 1, block: 1, prevLast: 0, proved: 0, settled: [] }), 0)
    for (let b = 1; b <= 30; b++) t.observe("a", fields({ seq: b + 1, block: b + 1, prevLast: b, proved: b, settled: [] }), b * 1000)
    const blocks = t.blocksView()
    expect(blocks).toHaveLength(20)
    expect(blocks[0]!.lastBlock).toBe(30)
    expect(blocks[19]!.lastBlock).toBe(11)
    // without a settlement chain, settled stays at 0
    expect(t.counts.blocksSettled).toBe(0)
    // settling lags closing: the newest settled blocks are shown beside the 20 newest closed
    const u = new PipelineTracker()
    u.observe("b", fields({ seq: 1, block: 1, prevLast: 0, proved: 0, settled: [0] }), 0)
    for (let b = 1; b <= 30; b++) u.observe("b", fields({ seq: b + 1, block: b + 1, prevLast: b, proved: 0, settled: [0] }), b * 1000)
    u.observe("b", fields({ seq: 31, block: 31, prevLast: 30, proved: 2, settled: [2] }), 40_000)
    const shown = u.blocksView()
    expect(shown.map((b) => b.lastBlock)).toEqual([...Array.from({ length: 20 }, (_, i) => 30 - i), 2, 1])
    expect(shown.filter((b) => b.settledAt === 40_000).map((b) => b.lastBlock)).toEqual([2, 1])
  })
})
