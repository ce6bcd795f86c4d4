/**
 * Job-scoped RPCs over the app instance's blocks and their settlement: TryCreateBlock (answers
 * the block number the chain created), GetBlock, the block's state / proof data availability
 * (the payload goes into the data-availability store, its descriptor on chain, as the deployed
 * coordinator does), the per-chain settlement tx hash and inclusion, GetBlockSettlement and
 * UpdateBlockSettlement (a stub in the deployed coordinator; here it makes the same two Move
 * calls). Refusals answer `success=false`; every write waits for its transaction and returns its
 * digest; a Move abort is answered with the name of the deployed error constant.
 */
import { Clock, Effect, Option } from "effect"
import { type AppCall, arg } from "../../chain/appCalls.js"
import type { DecodedBlock } from "../../chain/blockTypes.js"
import type {
  Block, GetBlockRequest, GetBlockResponse, GetBlockSettlementRequest, GetBlockSettlementResponse, TryCreateBlockRequest,
  TryCreateBlockResponse, UpdateBlockProofDataAvailabilityRequest, UpdateBlockProofDataAvailabilityResponse,
  UpdateBlockSettlementRequest, UpdateBlockSettlementResponse, UpdateBlockSettlementTxHashRequest, UpdateBlockSettlementTxHashResponse,
  UpdateBlockSettlementTxIncludedInBlockRequest, UpdateBlockSettlementTxIncludedInBlockResponse,
  UpdateBlockStateDataAvailabilityRequest, UpdateBlockStateDataAvailabilityResponse
} from "../../gen/silvana/coordinator/v1/coordinator.js"
import { abortName } from "../../chain/moveAborts.js"
import { readInstance, scoped } from "./appHandlers.js"
import { callAndWait } from "./chainCall.js"
import { type ApiError, Internal, InvalidArgument, StorageUnavailable } from "./errors.js"
import type { Scoped } from "./jobScope.js"
import type { JobStore } from "../JobStore.js"
import type { Sessions } from "../Sessions.js"
import * as V from "./validate.js"

/** Longest settlement tx hash accepted (it goes on chain as a pure argument). */
const MAX_TX_HASH = 1024

/** Waits for `call`; `{success, message, txHash}` with a named abort. */
const write = (s: Scoped, call: AppCall, done: string) =>
  Effect.map(callAndWait(s, call), (r) => {
    if (r.success) return { success: true, message: done, txHash: r.txHash }
    const name = abortName(r.detail)
    return { success: false, message: name === undefined ? r.message : `${call.fn} aborted: ${name}`, txHash: r.txHash }
  })

const chainName = (c: string) => V.name("chain", c)
const txHash = (h: string) =>
  h.length === 0 ? Effect.fail(new InvalidArgument({ message: "settlement_tx_hash is required" })) : V.text("settlement_tx_hash", h, MAX_TX_HASH)

const storageError = (e: { _tag: string; message: string }) =>
  e._tag === "DataTooLarge" ? new InvalidArgument({ message: e.message }) : new StorageUnavailable({ message: e.message })

export const tryCreateBlock = (req: TryCreateBlockRequest) =>
  scoped<TryCreateBlockResponse, ApiError, never>("TryCreateBlock", req, { txHash: "" }, (s) =>
    Effect.map(callAndWait(s, { fn: "try_create_block", args: [], clock: true }), (r): TryCreateBlockResponse => {
      if (!r.success) return { success: false, message: r.message, txHash: r.txHash }
      const created = r.detail === null ? null : /^block_number=(\d+)$/.exec(r.detail)
      if (created !== null) return { success: true, message: `block ${created[1]} created`, txHash: r.txHash, blockNumber: BigInt(created[1]!) }
      const why = r.detail?.startsWith("insufficient_time=")
        ? `the minimum time between blocks has not passed (${r.detail.slice("insufficient_time=".length)} ms)`
        : "there are no new sequences"
      return { success: true, message: `no block created: ${why}`, txHash: r.txHash }
    })
  )

export const toWireBlock = (b: DecodedBlock): Block => ({
  id: b.id,
  name: b.name,
  blockNumber: b.blockNumber,
  startSequence: b.startSequence,
  endSequence: b.endSequence,
  actionsCommitment: Buffer.from(b.actionsCommitment),
  stateCommitment: Buffer.from(b.stateCommitment),
  timeSinceLastBlock: b.timeSinceLastBlock,
  numberOfTransactions: b.numberOfTransactions,
  startActionsCommitment: Buffer.from(b.startActionsCommitment),
  endActionsCommitment: Buffer.from(b.endActionsCommitment),
  ...(b.stateDataAvailability === null ? {} : { stateDataAvailability: b.stateDataAvailability }),
  ...(b.proofDataAvailability === null ? {} : { proofDataAvailability: b.proofDataAvailability }),
  createdAt: b.createdAt,
  ...(b.stateCalculatedAt === null ? {} : { stateCalculatedAt: b.stateCalculatedAt }),
  ...(b.provedAt === null ? {} : { provedAt: b.provedAt })
})

const chainRead = <A, E extends { message: string }, R>(e: Effect.Effect<A, E, R>) => Effect.mapError(e, (x) => new Internal({ message: x.message }))

export const getBlock = (req: GetBlockRequest) =>
  scoped<GetBlockResponse, ApiError, never>("GetBlock", req, {}, (s) =>
    Effect.gen(function* () {
      const inst = yield* readInstance(s)
      const b = yield* chainRead(s.app.chain.block(inst, req.blockNumber))
      if (Option.isNone(b)) return { success: false, message: `block ${req.blockNumber} not found` }
      return { success: true, message: `block ${req.blockNumber}`, block: toWireBlock(b.value) }
    })
  )

/** Stores the payload, then writes its descriptor with `fn`. */
const dataAvailability = (rpc: string, fn: string, req: { sessionId: string; jobId: string; blockNumber: bigint }, payload: string) =>
  Effect.flatMap(
    payload.length === 0 ? Effect.fail(new InvalidArgument({ message: "the data availability payload is required" })) : Effect.void,
    () =>
      scoped<{ success: boolean; message: string; txHash: string }, ApiError, never>(rpc, req, { txHash: "" }, (s) =>
        Effect.gen(function* () {
          const descriptor = yield* s.app.da.put(Buffer.from(payload, "utf8")).pipe(Effect.mapError(storageError))
          return yield* write(s, { fn, args: [arg.u64(req.blockNumber), arg.string(descriptor)], clock: true }, `block ${req.blockNumber}: ${descriptor}`)
        })
      )
  )

export const updateBlockStateDataAvailability = (req: UpdateBlockStateDataAvailabilityRequest): Effect.Effect<UpdateBlockStateDataAvailabilityResponse, ApiError, JobStore | Sessions> =>
  dataAvailability("UpdateBlockStateDataAvailability", "update_block_state_data_availability", req, req.stateDataAvailability)

export const updateBlockProofDataAvailability = (req: UpdateBlockProofDataAvailabilityRequest): Effect.Effect<UpdateBlockProofDataAvailabilityResponse, ApiError, JobStore | Sessions> =>
  dataAvailability("UpdateBlockProofDataAvailability", "update_block_proof_data_availability", req, req.proofDataAvailability)

const hashCall = (chain: string, block: bigint, hash: string): AppCall => ({
  fn: "update_block_settlement_tx_hash", args: [arg.string(chain), arg.u64(block), arg.string(hash)], clock: true
})
const includedCall = (chain: string, block: bigint, settledAt: bigint): AppCall => ({
  fn: "update_block_settlement_tx_included_in_block", args: [arg.string(chain), arg.u64(block), arg.u64(settledAt)], clock: true
})

export const updateBlockSettlementTxHash = (req: UpdateBlockSettlementTxHashRequest) =>
  Effect.flatMap(Effect.all([chainName(req.chain), txHash(req.settlementTxHash)]), ([chain, hash]) =>
    scoped<UpdateBlockSettlementTxHashResponse, ApiError, never>("UpdateBlockSettlementTxHash", req, { txHash: "" }, (s) =>
      write(s, hashCall(chain, req.blockNumber, hash), `block ${req.blockNumber} sent to ${chain}`)
    )
  )

export const updateBlockSettlementTxIncludedInBlock = (req: UpdateBlockSettlementTxIncludedInBlockRequest) =>
  Effect.flatMap(chainName(req.chain), (chain) =>
    scoped<UpdateBlockSettlementTxIncludedInBlockResponse, ApiError, never>("UpdateBlockSettlementTxIncludedInBlock", req, { txHash: "" }, (s) =>
      write(s, includedCall(chain, req.blockNumber, req.settledAt), `block ${req.blockNumber} settled on ${chain}`)
    )
  )

export const getBlockSettlement = (req: GetBlockSettlementRequest) =>
  Effect.flatMap(chainName(req.chain), (chain) =>
    scoped<GetBlockSettlementResponse, ApiError, never>("GetBlockSettlement", req, { chain }, (s) =>
      Effect.gen(function* () {
        const inst = yield* readInstance(s)
        const st = inst.settlements.find((x) => x.chain === chain)
        if (st === undefined) return { success: false, message: `chain ${chain} is not a settlement chain of this instance`, chain }
        const bs = yield* chainRead(s.app.chain.blockSettlement(st, req.blockNumber))
        if (Option.isNone(bs)) return { success: false, message: `no settlement record of block ${req.blockNumber} on ${chain}`, chain }
        const v = bs.value
        return {
          success: true,
          message: `block ${req.blockNumber} on ${chain}`,
          chain,
          blockSettlement: {
            blockNumber: v.blockNumber,
            settlementTxIncludedInBlock: v.settlementTxIncludedInBlock,
            ...(v.settlementTxHash === null ? {} : { settlementTxHash: v.settlementTxHash }),
            ...(v.sentToSettlementAt === null ? {} : { sentToSettlementAt: v.sentToSettlementAt }),
            ...(v.settledAt === null ? {} : { settledAt: v.settledAt })
          }
        }
      })
    )
  )

/**
 * The deployed Move has no general setter: a tx hash goes through `update_block_settlement_tx_hash`
 * (which stamps `sent_to_settlement_at` with the chain's clock) and inclusion through
 * `update_block_settlement_tx_included_in_block` (with `settled_at`, default: now), in that order.
 */
export const updateBlockSettlement = (req: UpdateBlockSettlementRequest) =>
  Effect.gen(function* () {
    const chain = yield* chainName(req.chain)
    const hash = req.settlementTxHash === undefined ? undefined : yield* txHash(req.settlementTxHash)
    if (hash === undefined && !req.settlementTxIncludedInBlock) {
      return yield* Effect.fail(new InvalidArgument({ message: "nothing to update: give settlement_tx_hash and/or settlement_tx_included_in_block" }))
    }
    return yield* scoped<UpdateBlockSettlementResponse, ApiError, never>("UpdateBlockSettlement", req, { txHash: "" }, (s) =>
      Effect.gen(function* () {
        let last = { success: true, message: "", txHash: "" }
        if (hash !== undefined) {
          last = yield* write(s, hashCall(chain, req.blockNumber, hash), `block ${req.blockNumber} sent to ${chain}`)
          if (!last.success) return last
        }
        if (req.settlementTxIncludedInBlock) {
          const settledAt = req.settledAt ?? BigInt(yield* Clock.currentTimeMillis)
          last = yield* write(s, includedCall(chain, req.blockNumber, settledAt), `block ${req.blockNumber} settled on ${chain}`)
        }
        return last
      })
    )
  })
