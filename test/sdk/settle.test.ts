/**
 * Sequences → block → settlement with SDK agents, as Silvana's published agents run it: a prover
 * reads the sequence states, records the new state, proves the block's range and closes the block;
 * a settler reads the block proof, publishes the block's state and proof, stores its settlement
 * proof and records the settlement on its chain. The chain ends with the block settled there.
 */
import { describe, expect, it } from "vitest"
import { addSettlementChain, increaseSequence } from "../../src/localnet/appSeeding.js"
import { AgentClient } from "../../src/sdk/index.js"
import { type AppApiFixture, proveTriple } from "../api/appFixture.js"
import { appApiForSuite } from "../api/appSuite.js"

const agent = (f: AppApiFixture, sessionId: string) =>
  AgentClient.fromEnv({
    SESSION_ID: sessionId, DEVELOPER: proveTriple.developer, AGENT: proveTriple.agent, AGENT_METHOD: proveTriple.agentMethod, COORDINATOR_SOCKET: f.api.socketPath
  })

describe("prove → block → settle with SDK agents", () => {
  const f = appApiForSuite({}, async (f) => {
    await addSettlementChain(f.net.manifest, "l2")
    await increaseSequence(f.net.manifest, { count: 3, transitionData: (i) => new Uint8Array([i]) })
  })

  it("the block is created with its proof, then settled on l2 in order", async () => {
    const p = await f.holdJob(undefined, {}, false)
    const prover = agent(f, p.sessionId)
    const job = (await prover.getJob())!
    const states = await prover.getSequenceStates(job.jobId, 2n)
    expect(states.map((s) => s.sequence)).toEqual([0n, 1n, 2n])
    const { daHash } = await prover.submitState(job.jobId, 2n, { newStateData: new Uint8Array([42]), serializedState: "state@2" })
    expect(daHash).toMatch(/^local:localnet:/)
    await prover.submitProof(job.jobId, { blockNumber: 1n, sequences: [1n, 2n], proof: "proof(1,2)" })
    f.net.chain.advanceClock(61_000)
    const block = await prover.tryCreateBlock(job.jobId)
    expect(block.blockNumber).toBe(1n)
    await prover.completeJob(job.jobId)
    prover.close()
    await f.idle()

    const s = await f.holdJob(undefined, {}, false)
    const settler = agent(f, s.sessionId)
    const sj = (await settler.getJob())!
    expect(await settler.getBlockProof(sj.jobId, 1n)).toBe("proof(1,2)")
    expect(await settler.getBlock(sj.jobId, 1n)).toMatchObject({ startSequence: 1n, endSequence: 2n })
    await settler.updateBlockStateDataAvailability(sj.jobId, 1n, "state@2")
    await settler.updateBlockProofDataAvailability(sj.jobId, 1n, "proof(1,2)")
    const published = await settler.getBlock(sj.jobId, 1n)
    expect(await settler.readDataAvailability(published!.proofDataAvailability!)).toBe("proof(1,2)")
    await settler.submitSettlementProof(sj.jobId, 1n, "l2", "l2-proof(1)")
    expect(await settler.getSettlementProof(sj.jobId, 1n, "l2")).toBe("l2-proof(1)")
    expect(await settler.updateBlockSettlementTxHash(sj.jobId, 1n, "l2", "0xl2tx1")).not.toBe("")
    expect(await settler.getBlockSettlement(sj.jobId, 1n, "l2")).toMatchObject({ settlementTxHash: "0xl2tx1", settlementTxIncludedInBlock: false })
    await settler.updateBlockSettlementTxIncludedInBlock(sj.jobId, 1n, "l2", 77n)
    expect(await settler.getBlockSettlement(sj.jobId, 1n, "l2")).toMatchObject({ settlementTxIncludedInBlock: true, settledAt: 77n })
    // settled on its only chain: the block leaves the instance
    expect(await settler.getBlock(sj.jobId, 1n)).toBeUndefined()
    await expect(settler.updateBlockSettlementTxIncludedInBlock(sj.jobId, 1n, "l2", 78n)).rejects.toThrow(/no such entry/)
    await settler.completeJob(sj.jobId)
    settler.close()
    await f.idle()
    const json = await f.instanceJson()
    expect(json.settlements.contents[0].value.last_settled_block_number).toBe("1")
    expect(json.last_proved_block_number).toBe("1")
  })
})
