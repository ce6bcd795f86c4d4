/**
 * The proving pipeline end to end on the localnet with real processes: demo-app actions over two
 * app instances become sequences, blocks (the blocks program closes the last one), prove jobs,
 * merges planned by the coordinator, block proofs, and settlements on the file ledger by the
 * settle agent — every block proved and settled in order, each sequence counted exactly once in
 * its block's proof, no merge job created twice.
 */
import { Effect, Metric } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ProofStatus } from "../../src/chain/appTypes.js"
import { mergeJobsCreated } from "../../src/programs/merges.js"
import { startPipeline, type Pipeline } from "../support/pipeline.js"
import { waitUntil } from "../support/wait.js"

const ACTIONS = 200
let p: Pipeline

describe("proving pipeline", () => {
  beforeAll(async () => {
    p = await startPipeline({ instances: 2, blockIntervalMs: 300 })
  }, 120_000)
  afterAll(async () => {
    await p?.close()
  })

  it(`${ACTIONS} actions over 2 instances: every block proved and settled, each sequence used once, no merge created twice`, async () => {
    const perTx = 10
    for (let i = 0; i < ACTIONS / perTx; i++) {
      await p.add(p.instances[i % 2]!, perTx)
      // actions spread over several blocks
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 150))
    }
    const settledBlocks = async () => {
      let n = 0n
      for (const ai of p.instances) n += (await p.report(ai)).fields.settlements[0]?.lastSettledBlockNumber ?? 0n
      return n
    }
    await waitUntil("every action proved and settled", async () => (await Promise.all(p.instances.map((ai) => p.settledAll(ai)))).every(Boolean), {
      progress: settledBlocks,
      pollMs: 250
    })
    let expectedMerges = 0
    for (const ai of p.instances) {
      const { fields, proofs } = await p.report(ai)
      expect(fields.lastProvedBlockNumber).toBe(fields.blockNumber - 1n)
      expect(proofs).toHaveLength(Number(fields.blockNumber - 1n))
      const blocks = proofs.map((pc) => ({ start: pc.startSequence, end: pc.endSequence! }))
      for (const pc of proofs) {
        const size = Number(pc.endSequence! - pc.startSequence + 1n)
        expect(pc.isFinished).toBe(true)
        expect(pc.blockProof).not.toBeNull()
        // a block of n sequences: n proofs of one sequence, n - 1 merges, all but the block proof used once
        expect(pc.proofs).toHaveLength(2 * size - 1)
        const whole = pc.proofs.filter((x) => x.sequences.length === size)
        expect(whole).toHaveLength(1)
        for (const x of pc.proofs) if (x !== whole[0]) expect(x.status).toBe(ProofStatus.Used)
        expectedMerges += size - 1
      }
      // the ledger: one entry per block, in order, each proof checked against the actions sent
      expect(p.ledgerProblems(ai, blocks)).toEqual([])
    }
    expect(p.ledger.intact()).toBe(true)
    // each merge job was created exactly once: as many creations as merged proofs
    expect((await Effect.runPromise(Metric.value(mergeJobsCreated))).count).toBe(expectedMerges)
  }, 600_000)
})
