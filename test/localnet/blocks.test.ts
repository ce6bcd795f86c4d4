/**
 * Blocks, sequence states and settlement records of the coordination package on the localnet,
 * through SuiGrpcClient over native gRPC only (chain time is moved with `chain.advanceClock`):
 * `increase_sequence` and the SequenceState objects, `try_create_block` and its
 * `min_time_between_blocks`, the data-availability fields, per-chain settlement in block order
 * (`EPreviousBlockNotSettled`), the clean-up of settled blocks and `purge` — every object and event
 * decoded with the layouts of src/chain.
 */
import { bcs } from "@mysten/sui/bcs"
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { deriveDynamicFieldID } from "@mysten/sui/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeProofCalculation } from "../../src/chain/appTypes.js"
import {
  blockEventLayouts, blockModuleEventLayouts, decodeBlock, decodeBlockSettlement, decodeSequenceState, sequenceStateEventLayouts, settlementEventLayouts
} from "../../src/chain/blockTypes.js"
import { decodeMove, encodeMove, type MoveLayout } from "../../src/chain/moveLayout.js"
import { addSettlementChain, increaseSequence } from "../../src/localnet/appSeeding.js"
import { makeSuiClient } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"

const layouts: Record<string, MoveLayout> = { ...blockEventLayouts, ...blockModuleEventLayouts, ...sequenceStateEventLayouts, ...settlementEventLayouts }
const U64_KEY = "0x2::dynamic_object_field::Wrapper<u64>"

let net: LocalnetHandle
let client: SuiGrpcClient
let admin: Ed25519Keypair
let pkg: string
let app: string

/** Runs the calls as the admin; the events by name, decoded (and re-encoded identically). */
const call = async (build: (tx: Transaction, ai: ReturnType<Transaction["object"]>) => void) => {
  const tx = new Transaction()
  tx.setGasBudget(100_000_000)
  build(tx, tx.object(app))
  // The SDK dry-runs while building: an abort surfaces there, as a thrown error naming the function and code.
  const r = await client.signAndExecuteTransaction({ transaction: tx, signer: admin, include: { effects: true, events: true } }).catch((e: Error) => e)
  if (r instanceof Error) return { ok: false, events: [], error: r.message }
  const t = r.$kind === "Transaction" ? r.Transaction : r.FailedTransaction
  const events = (t.events ?? []).map((e) => {
    const name = e.eventType.split("::").pop()!
    const layout = layouts[name]
    if (layout === undefined) return { name, value: undefined as any }
    const value = decodeMove(layout, e.bcs)
    expect(Array.from(encodeMove(layout, value))).toEqual(Array.from(e.bcs))
    return { name, value: value as any }
  })
  return { ok: r.$kind === "Transaction", events, error: t.status.error?.message ?? "" }
}
/** The `#[error]` constant a clever abort names in the SDK's message (from the node's clever-error data). */
const abortConstant = (message: string) => /MoveAbort in \S+ command, '(E\w+)'/.exec(message)?.[1]
const fn = (tx: Transaction, name: string, args: Parameters<Transaction["moveCall"]>[0]["arguments"]) =>
  tx.moveCall({ target: `${pkg}::app_instance::${name}`, arguments: [...(args ?? []), tx.object.clock()] })

const instance = async (): Promise<any> => (await client.core.getObject({ objectId: app, include: { json: true } })).object.json
const child = async (tableId: string, key: bigint) => {
  const { objects } = await client.core.getObjects({ objectIds: [deriveDynamicFieldID(tableId, U64_KEY, bcs.u64().serialize(key).toBytes())], include: { json: true } })
  const field = objects[0]!
  if (field instanceof Error) return undefined
  return (await client.core.getObject({ objectId: (field.json as { value: string }).value, include: { content: true } })).object.content
}
const block = async (n: bigint) => {
  const bytes = await child((await instance()).blocks.id, n)
  return bytes === undefined ? undefined : decodeBlock(bytes)
}

describe("localnet blocks, sequence states and settlements", () => {
  beforeAll(async () => {
    net = await startLocalnet({ port: 0, checkpointMs: "per-transaction" })
    client = makeSuiClient(net.manifest.grpcUrl)
    admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
    pkg = net.manifest.packageId
    app = net.manifest.appInstanceId
  }, 30_000)
  afterAll(async () => {
    await net?.close()
  })

  it("starts with block 0 and the open proof calculation of block 1", async () => {
    const json = await instance()
    expect(json.blocks.size).toBe("1")
    expect(await block(0n)).toMatchObject({ blockNumber: 0n, startSequence: 0n, endSequence: 0n, numberOfTransactions: 1n, name: "Silvana App Instance Block 0" })
    expect(json.sequence_state_manager).toMatchObject({ lowest_sequence: null, highest_sequence: null })
  })

  it("increase_sequence adds SequenceStates in order; try_create_block waits for min_time_between_blocks", async () => {
    const r = await increaseSequence(net.manifest, { count: 3, optimisticState: (i) => new Uint8Array([i, 1]), transitionData: (i) => new Uint8Array([i, 2]) })
    expect(r.events?.filter((e) => e.eventType.endsWith("::SequenceStateAddedEvent"))).toHaveLength(3)
    let json = await instance()
    expect(json.sequence).toBe("3")
    expect(json.sequence_state_manager).toMatchObject({ lowest_sequence: "0", highest_sequence: "2" })
    const s1 = decodeSequenceState((await child(json.sequence_state_manager.sequence_states.id, 1n))!)
    expect(s1).toMatchObject({ sequence: 1n, state: null, dataAvailability: null, optimisticState: new Uint8Array([1, 1]), transitionData: new Uint8Array([1, 2]) })

    const early = await call((tx, ai) => fn(tx, "try_create_block", [ai]))
    expect(early.events.map((e) => e.name)).toEqual(["InsufficientTimeForBlockEvent"])
    expect(early.events[0]!.value.min_time_required).toBe(60_000n)
    net.chain.advanceClock(61_000)
    const created = await call((tx, ai) => fn(tx, "try_create_block", [ai]))
    const ev = created.events.find((e) => e.name === "BlockCreatedEvent")!.value
    expect(ev).toMatchObject({ block_number: 1n, start_sequence: 1n, end_sequence: 2n })
    json = await instance()
    expect(json).toMatchObject({ block_number: "2", previous_block_last_sequence: "2" })
    expect(await block(1n)).toMatchObject({ blockNumber: 1n, startSequence: 1n, endSequence: 2n, numberOfTransactions: 2n, stateDataAvailability: null })
    const pc1 = decodeProofCalculation((await child(json.proof_calculations.id, 1n))!)
    expect(pc1.endSequence).toBe(2n)
    const pc2 = decodeProofCalculation((await child(json.proof_calculations.id, 2n))!)
    expect(pc2).toMatchObject({ startSequence: 3n, endSequence: null })
    const none = await call((tx, ai) => fn(tx, "try_create_block", [ai]))
    expect(none.events.map((e) => e.name)).toEqual(["NoNewSequencesEvent"])
  })

  it("update_state_for_sequence sets state and DA inside the kept range only", async () => {
    const ok = await call((tx, ai) => fn(tx, "update_state_for_sequence", [ai, tx.pure.u64(2), tx.pure.option("vector<u8>", [9]), tx.pure.option("string", "local:x:y")]))
    expect(ok.events.map((e) => e.name)).toEqual(["SequenceStateUpdatedEvent"])
    const json = await instance()
    expect(decodeSequenceState((await child(json.sequence_state_manager.sequence_states.id, 2n))!)).toMatchObject({ state: new Uint8Array([9]), dataAvailability: "local:x:y" })
    const high = await call((tx, ai) => fn(tx, "update_state_for_sequence", [ai, tx.pure.u64(7), tx.pure.option("vector<u8>", null), tx.pure.option("string", null)]))
    expect(high.ok).toBe(true)
    expect(high.events.map((e) => e.name)).toEqual(["OperationFailedEvent"])
  })

  it("settles blocks per chain in order and removes blocks settled on every chain", async () => {
    await increaseSequence(net.manifest, { count: 1 })
    net.chain.advanceClock(61_000)
    expect((await call((tx, ai) => fn(tx, "try_create_block", [ai]))).events.some((e) => e.name === "BlockCreatedEvent")).toBe(true)
    const hash = (n: number, chain = "l2") => call((tx, ai) => fn(tx, "update_block_settlement_tx_hash", [ai, tx.pure.string(chain), tx.pure.u64(n), tx.pure.string(`0xsettle${n}`)]))
    const included = (n: number) => call((tx, ai) => fn(tx, "update_block_settlement_tx_included_in_block", [ai, tx.pure.string("l2"), tx.pure.u64(n), tx.pure.u64(1000 + n)]))
    const notProved = await hash(1)
    expect(notProved.ok).toBe(false)
    expect(notProved.error).toMatch(/update_block_settlement_tx_hash/)
    expect(abortConstant(notProved.error)).toBe("EBlockNotProved")
    for (const n of [1, 2]) {
      const st = await call((tx, ai) => fn(tx, "update_block_state_data_availability", [ai, tx.pure.u64(n), tx.pure.string(`state${n}`)]))
      expect(st.events[0]).toMatchObject({ name: "DataAvailabilityEvent", value: { block_number: BigInt(n), state_data_availability: `state${n}`, proof_data_availability: null } })
      await call((tx, ai) => fn(tx, "update_block_proof_data_availability", [ai, tx.pure.u64(n), tx.pure.string(`proof${n}`)]))
    }
    expect(await block(2n)).toMatchObject({ stateDataAvailability: "state2", proofDataAvailability: "proof2" })
    expect((await block(2n))!.provedAt).not.toBeNull()
    const noChain = await hash(1)
    expect(noChain.ok).toBe(false)
    expect(abortConstant(noChain.error)).toBe("ESettlementChainNotFound")
    await addSettlementChain(net.manifest, "l2")
    const sent = await hash(1)
    expect(sent.events.map((e) => e.name)).toEqual(["BlockSettlementTransactionEvent"])
    expect((await hash(2)).ok).toBe(true)
    const outOfOrder = await included(2)
    expect(outOfOrder.ok).toBe(false)
    expect(abortConstant(outOfOrder.error)).toBe("EPreviousBlockNotSettled")
    const first = await included(1)
    expect(first.events.map((e) => e.name)).toEqual(["BlockSettledEvent", "BlockSettlementTransactionEvent", "BlockCleanupEvent", "BlockPurgedEvent", "ProofCalculationFinishedEvent", "ProofCalculationDeletedEvent"])
    let json = await instance()
    expect(json).toMatchObject({ last_settled_block_number: "1", last_settled_sequence: "2" })
    expect(json.settlements.contents[0].value.last_settled_block_number).toBe("1")
    expect(await block(1n)).toBeUndefined()
    const bs2 = decodeBlockSettlement((await child(json.settlements.contents[0].value.block_settlements.id, 2n))!)
    expect(bs2).toMatchObject({ blockNumber: 2n, settlementTxHash: "0xsettle2", settlementTxIncludedInBlock: false, settledAt: null })
    expect((await included(2)).ok).toBe(true)
    json = await instance()
    expect(decodeBlockSettlement((await child(json.settlements.contents[0].value.block_settlements.id, 2n))!)).toMatchObject({ settlementTxIncludedInBlock: true, settledAt: 1002n })

    // purge drops sequence states up to the last settled sequence, never beyond
    const purged = await call((tx, ai) => fn(tx, "purge", [ai, tx.pure.u64(100)]))
    const pe = purged.events.find((e) => e.name === "SequenceStatesPurgedEvent")!.value
    expect(pe).toMatchObject({ old_lowest_sequence: 0n, new_lowest_sequence: 3n, sequences_purged: 3n })
    json = await instance()
    expect(json).toMatchObject({ last_purged_sequence: "3" })
    expect(json.sequence_state_manager.lowest_sequence).toBe("3")
    expect(await child(json.sequence_state_manager.sequence_states.id, 2n)).toBeUndefined()
    expect(abortConstant((await call((tx, ai) => fn(tx, "purge", [ai, tx.pure.u64(0)]))).error)).toBe("EInvalidPurgeSequences")
  })
})
