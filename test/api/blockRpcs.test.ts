/**
 * The sequence-state, block and settlement RPCs over real sockets against a localnet (the set-up
 * of appFixture.ts): each answers for the job its session holds, refuses everything else in the
 * deployed answer style, and leaves the chain state it promises — read back through
 * SuiGrpcClient and decoded with src/chain's layouts. The tests run in order on one instance:
 * sequences, then blocks, then their settlement.
 */
import * as net from "node:net"
import { createClient as connectClient } from "@connectrpc/connect"
import { createGrpcTransport } from "@connectrpc/connect-node"
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID } from "@mysten/sui/utils"
import { ClientError, Status } from "nice-grpc"
import { describe, expect, it } from "vitest"
import { createHash } from "node:crypto"
import { decodeBlock, decodeBlockSettlement, decodeSequenceState } from "../../src/chain/blockTypes.js"
import { collectUnreferenced } from "../../src/programs/daCollect.js"
import { addSettlementChain, increaseSequence } from "../../src/localnet/appSeeding.js"
import { CoordinatorService } from "../gen/silvana/coordinator/v1/coordinator_pb.js"
import { type AppApiFixture } from "./appFixture.js"
import { appApiForSuite } from "./appSuite.js"

const statusOf = (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => (e instanceof ClientError ? Status[e.code] : String(e)))

/** The BCS of entry `key` of a u64-keyed ObjectTable, read through SuiGrpcClient. */
const entry = async (f: AppApiFixture, tableId: string, key: bigint) => {
  const field = await f.sui.core.getObjects({ objectIds: [deriveDynamicFieldID(tableId, "0x2::dynamic_object_field::Wrapper<u64>", bcs.u64().serialize(key).toBytes())], include: { json: true } })
  const o = field.objects[0]!
  if (o instanceof Error) return undefined
  return (await f.sui.core.getObject({ objectId: (o.json as { value: string }).value, include: { content: true } })).object.content
}

describe("sequence state, block and settlement RPCs on a localnet", () => {
  const f = appApiForSuite({}, (f) =>
    increaseSequence(f.net.manifest, { count: 3, optimisticState: (i) => new Uint8Array([10 + i]), transitionData: (i) => new Uint8Array([20 + i]) })
  )

  it("GetSequenceStates answers from the last state with data availability; SubmitState writes it", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const all = await f.client.getSequenceStates({ sessionId, jobId, sequence: 2n })
    expect(all.states.map((s) => s.sequence)).toEqual([0n, 1n, 2n])
    expect(all.states[1]).toMatchObject({ optimisticState: Buffer.from([11]), transitionData: Buffer.from([21]) })
    expect(all.states[1]!.state).toBeUndefined()

    const sub = await f.client.submitState({ sessionId, jobId, sequence: 1n, newStateData: Buffer.from([7, 7]), serializedState: "state after 1" })
    expect(sub.success).toBe(true)
    expect(sub.daHash).toMatch(/^local:localnet:[0-9a-f]{64}$/)
    await f.idle()
    const json = await f.instanceJson()
    const onChain = decodeSequenceState((await entry(f, json.sequence_state_manager.sequence_states.id, 1n))!)
    expect(onChain).toMatchObject({ sequence: 1n, state: new Uint8Array([7, 7]), dataAvailability: sub.daHash })

    const fromDa = await f.client.getSequenceStates({ sessionId, jobId, sequence: 2n })
    expect(fromDa.states.map((s) => s.sequence)).toEqual([1n, 2n])
    expect(fromDa.states[0]).toMatchObject({ dataAvailability: sub.daHash, state: Buffer.from([7, 7]) })
    expect((await f.client.getSequenceStates({ sessionId, jobId, sequence: 1n })).states.map((s) => s.sequence)).toEqual([1n])
    expect(await f.client.readDataAvailability({ sessionId, daHash: sub.daHash! })).toMatchObject({ success: true, data: "state after 1" })
  })

  it("GetSequenceStates and SubmitState refuse with statuses", async () => {
    const mine = await f.holdJob()
    const other = await f.holdJob()
    expect(await statusOf(f.client.getSequenceStates({ ...mine, sequence: 99n }))).toBe("NOT_FOUND")
    expect(await statusOf(f.client.getSequenceStates({ sessionId: other.sessionId, jobId: mine.jobId, sequence: 1n }))).toBe("PERMISSION_DENIED")
    expect(await statusOf(f.client.getSequenceStates({ sessionId: mine.sessionId, jobId: "snUnknownJob", sequence: 1n }))).toBe("NOT_FOUND")
    expect(await statusOf(f.client.submitState({ ...mine, sequence: 99n }))).toBe("NOT_FOUND")
    expect(await statusOf(f.client.submitState({ ...mine, sequence: 1n, newStateData: Buffer.alloc(9000) }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.submitState({ sessionId: other.sessionId, jobId: mine.jobId, sequence: 1n }))).toBe("PERMISSION_DENIED")
    expect((await f.client.completeJob(mine)).success).toBe(true)
    expect(await statusOf(f.client.submitState({ ...mine, sequence: 2n, serializedState: "late" }))).toBe("PERMISSION_DENIED")
    await f.idle()
    const json = await f.instanceJson()
    expect(decodeSequenceState((await entry(f, json.sequence_state_manager.sequence_states.id, 2n))!).dataAvailability).toBeNull()
  })

  it("TryCreateBlock returns the block the chain created, after min_time_between_blocks; GetBlock reads it", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const early = await f.client.tryCreateBlock({ sessionId, jobId })
    expect(early).toMatchObject({ success: true, blockNumber: undefined })
    expect(early.message).toMatch(/minimum time between blocks/)
    f.net.chain.advanceClock(61_000)
    const made = await f.client.tryCreateBlock({ sessionId, jobId })
    expect(made).toMatchObject({ success: true, blockNumber: 1n })
    expect(made.txHash).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/)
    const again = await f.client.tryCreateBlock({ sessionId, jobId })
    expect(again.blockNumber).toBeUndefined()
    expect(again.message).toMatch(/no new sequences/)

    const got = await f.client.getBlock({ sessionId, jobId, blockNumber: 1n })
    expect(got.success).toBe(true)
    expect(got.block).toMatchObject({ blockNumber: 1n, startSequence: 1n, endSequence: 2n, numberOfTransactions: 2n, name: "Silvana App Instance Block 1" })
    expect(got.block!.stateCommitment).toHaveLength(32)
    const json = await f.instanceJson()
    const onChain = decodeBlock((await entry(f, json.blocks.id, 1n))!)
    expect(got.block!.id).toBe(onChain.id)
    expect(json.block_number).toBe("2")
    expect(await f.client.getBlock({ sessionId, jobId, blockNumber: 9n })).toMatchObject({ success: false, block: undefined })
  })

  it("block data availability, then settlement per chain in block order", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const st = await f.client.updateBlockStateDataAvailability({ sessionId, jobId, blockNumber: 1n, stateDataAvailability: "state of block 1" })
    expect(st.success).toBe(true)
    expect(st.txHash).not.toBe("")
    const stateDa = (await f.client.getBlock({ sessionId, jobId, blockNumber: 1n })).block!.stateDataAvailability!
    expect(stateDa).toMatch(/^local:localnet:/)
    expect((await f.client.readDataAvailability({ sessionId, daHash: stateDa })).data).toBe("state of block 1")

    const notProved = await f.client.updateBlockSettlementTxHash({ sessionId, jobId, blockNumber: 1n, settlementTxHash: "0xabc", chain: "l2" })
    expect(notProved).toMatchObject({ success: false })
    expect(notProved.message).toMatch(/EBlockNotProved/)
    expect((await f.client.updateBlockProofDataAvailability({ sessionId, jobId, blockNumber: 1n, proofDataAvailability: "proof of block 1" })).success).toBe(true)
    const noChain = await f.client.updateBlockSettlementTxHash({ sessionId, jobId, blockNumber: 1n, settlementTxHash: "0xabc", chain: "l2" })
    expect(noChain.message).toMatch(/ESettlementChainNotFound/)
    await addSettlementChain(f.net.manifest, "l2")

    const sent = await f.client.updateBlockSettlementTxHash({ sessionId, jobId, blockNumber: 1n, settlementTxHash: "0xabc", chain: "l2" })
    expect(sent.success).toBe(true)
    const rec = await f.client.getBlockSettlement({ sessionId, jobId, blockNumber: 1n, chain: "l2" })
    expect(rec).toMatchObject({ success: true, chain: "l2", blockSettlement: { blockNumber: 1n, settlementTxHash: "0xabc", settlementTxIncludedInBlock: false } })
    expect(rec.blockSettlement!.sentToSettlementAt).toBeGreaterThan(0n)
    expect(await f.client.getBlockSettlement({ sessionId, jobId, blockNumber: 1n, chain: "l9" })).toMatchObject({ success: false, chain: "l9", blockSettlement: undefined })

    // block 2, its DA, then its inclusion before block 1's: EPreviousBlockNotSettled
    await increaseSequence(f.net.manifest, { count: 1 })
    f.net.chain.advanceClock(61_000)
    expect((await f.client.tryCreateBlock({ sessionId, jobId })).blockNumber).toBe(2n)
    await f.client.updateBlockStateDataAvailability({ sessionId, jobId, blockNumber: 2n, stateDataAvailability: "s2" })
    await f.client.updateBlockProofDataAvailability({ sessionId, jobId, blockNumber: 2n, proofDataAvailability: "p2" })
    const early = await f.client.updateBlockSettlementTxIncludedInBlock({ sessionId, jobId, blockNumber: 2n, settledAt: 5n, chain: "l2" })
    expect(early.success).toBe(false)
    expect(early.message).toMatch(/EPreviousBlockNotSettled/)

    const settled = await f.client.updateBlockSettlement({ sessionId, jobId, blockNumber: 1n, chain: "l2", settlementTxIncludedInBlock: true, settledAt: 1234n })
    expect(settled.success).toBe(true)
    const json = await f.instanceJson()
    const l2 = json.settlements.contents.find((e: { key: string }) => e.key === "l2").value
    expect(l2.last_settled_block_number).toBe("1")
    expect(json.last_settled_block_number).toBe("1")
    expect(decodeBlockSettlement((await entry(f, l2.block_settlements.id, 1n))!)).toMatchObject({ settlementTxIncludedInBlock: true, settledAt: 1234n, settlementTxHash: "0xabc" })
    // settled on every chain: the block leaves the instance
    expect(await entry(f, json.blocks.id, 1n)).toBeUndefined()
    expect((await f.client.getBlock({ sessionId, jobId, blockNumber: 1n })).success).toBe(false)
    const both = await f.client.updateBlockSettlement({ sessionId, jobId, blockNumber: 2n, chain: "l2", settlementTxHash: "0xdef", settlementTxIncludedInBlock: true, settledAt: 99n })
    expect(both.success).toBe(true)
    expect((await f.client.getMetadata({ sessionId, jobId })).metadata?.settlements["l2"]?.lastSettledBlockNumber).toBe(2n)
  })

  it("settlement proofs are stored per block and chain", async () => {
    const mine = await f.holdJob()
    const other = await f.holdJob()
    const sub = await f.client.submitSettlementProof({ ...mine, blockNumber: 2n, proof: "settlement proof 2", cpuTime: 3n, chain: "l2" })
    expect(sub.success).toBe(true)
    expect(await f.client.getSettlementProof({ ...mine, blockNumber: 2n, settlementChain: "l2" })).toMatchObject({ success: true, proof: "settlement proof 2" })
    expect(await f.client.getSettlementProof({ ...other, blockNumber: 2n, settlementChain: "l2" })).toMatchObject({ success: true, proof: "settlement proof 2" })
    expect(await f.client.getSettlementProof({ ...mine, blockNumber: 2n, settlementChain: "l3" })).toMatchObject({ success: false, proof: undefined })
    expect(await statusOf(f.client.submitSettlementProof({ sessionId: other.sessionId, jobId: mine.jobId, blockNumber: 2n, proof: "x", cpuTime: 1n, chain: "l2" }))).toBe("PERMISSION_DENIED")
    expect(await statusOf(f.client.submitSettlementProof({ ...mine, blockNumber: 2n, proof: "", cpuTime: 1n, chain: "l2" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.submitSettlementProof({ ...mine, blockNumber: 2n, proof: "x", cpuTime: 1n, chain: "" }))).toBe("INVALID_ARGUMENT")
  })

  it("the block RPCs refuse a foreign session, a finished job and bad input", async () => {
    const mine = await f.holdJob()
    const other = await f.holdJob()
    const foreign = { sessionId: other.sessionId, jobId: mine.jobId }
    for (const r of [
      await f.client.tryCreateBlock(foreign),
      await f.client.getBlock({ ...foreign, blockNumber: 2n }),
      await f.client.updateBlockStateDataAvailability({ ...foreign, blockNumber: 2n, stateDataAvailability: "x" }),
      await f.client.updateBlockSettlementTxHash({ ...foreign, blockNumber: 2n, settlementTxHash: "0x1", chain: "l2" }),
      await f.client.getBlockSettlement({ ...foreign, blockNumber: 2n, chain: "l2" }),
      await f.client.getSettlementProof({ ...foreign, blockNumber: 2n, settlementChain: "l2" })
    ]) {
      expect(r.success).toBe(false)
      expect(r.message).toMatch(/not held by session/)
    }
    expect((await f.client.getBlock({ sessionId: mine.sessionId, jobId: "snUnknownJob", blockNumber: 2n })).message).toMatch(/unknown job/)
    expect(await statusOf(f.client.updateBlockStateDataAvailability({ ...mine, blockNumber: 2n, stateDataAvailability: "" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.updateBlockSettlementTxHash({ ...mine, blockNumber: 2n, settlementTxHash: "", chain: "l2" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.getBlockSettlement({ ...mine, blockNumber: 2n, chain: "" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.updateBlockSettlement({ ...mine, blockNumber: 2n, chain: "l2", settlementTxIncludedInBlock: false }))).toBe("INVALID_ARGUMENT")
    expect((await f.client.completeJob(mine)).success).toBe(true)
    const late = await f.client.tryCreateBlock(mine)
    expect(late.success).toBe(false)
    expect(late.message).toMatch(/already/)
  })

  it("works unchanged from a @connectrpc/connect-node client over the socket", async () => {
    const c = connectClient(CoordinatorService, createGrpcTransport({
      baseUrl: "http://localhost",
      nodeOptions: { createConnection: () => net.createConnection(f.api.socketPath) }
    }))
    const { sessionId, jobId } = await f.holdJob()
    const states = await c.getSequenceStates({ sessionId, jobId, sequence: 3n })
    expect(states.states.map((s) => s.sequence)).toEqual([1n, 2n, 3n]) // from sequence 1, the last with data availability
    const genesis = await c.getBlock({ sessionId, jobId, blockNumber: 0n })
    expect(genesis.block).toMatchObject({ blockNumber: 0n, endSequence: 0n })
    expect((await c.tryCreateBlock({ sessionId, jobId })).blockNumber).toBeUndefined()
    expect((await c.getBlockSettlement({ sessionId, jobId, blockNumber: 2n, chain: "l2" })).blockSettlement?.settlementTxIncludedInBlock).toBe(true)
    expect((await c.getSettlementProof({ sessionId, jobId, blockNumber: 2n, settlementChain: "l2" })).proof).toBe("settlement proof 2")
  })

  it("the DA collection keeps what sequence states, live blocks and settlement proofs name, and drops the settled blocks' data", async () => {
    const { sessionId, jobId } = await f.holdJob()
    await increaseSequence(f.net.manifest, { count: 1 })
    f.net.chain.advanceClock(61_000)
    expect((await f.client.tryCreateBlock({ sessionId, jobId })).blockNumber).toBe(3n)
    expect((await f.client.updateBlockStateDataAvailability({ sessionId, jobId, blockNumber: 3n, stateDataAvailability: "state of block 3" })).success).toBe(true)
    const descriptor = (text: string) => `local:localnet:${createHash("sha256").update(text).digest("hex")}`
    const removed = await f.runtime.runPromise(collectUnreferenced({ appInstances: [f.appInstance], minAgeMs: 0 }))
    expect(removed.blobs).toBeGreaterThan(0)
    const read = async (text: string) => (await f.client.readDataAvailability({ sessionId, daHash: descriptor(text) })).data
    expect(await read("state after 1")).toBe("state after 1") // sequence 1's state
    expect(await read("settlement proof 2")).toBe("settlement proof 2")
    expect(await read("state of block 3")).toBe("state of block 3")
    expect(await read("state of block 1")).toBeUndefined() // block 1 settled everywhere and removed
  })
})
