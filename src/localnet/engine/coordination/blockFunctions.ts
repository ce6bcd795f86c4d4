/**
 * `app_instance` entry points over blocks, sequence states and settlements (implemented in
 * blocks.ts), with the deployed signatures: the AppInstance (mutable shared) first, the Clock
 * last where the Move function takes one.
 *
 * One localnet-only function: `app_instance::add_settlement_chain_to_instance(instance, chain,
 * settlement_address: Option<String>, ctx)` (admin only). The deployed package fixes an
 * instance's settlement chains when it is created; the localnet's genesis instance has none, so
 * seeding adds them with this function.
 */
import { bcs } from "@mysten/sui/bcs"
import type { ObjRecord } from "../store.js"
import { ClockParam, StringT, TxContextParam, optionT, vectorT, type MoveFunction, type MoveParam, type MoveType } from "../runtime.js"
import type { AppInstanceData } from "./appInstanceData.js"
import {
  addSettlementChain, addStateForSequence, increaseSequence, purge, tryCreateBlock, updateBlockProofDa, updateBlockSettlementTxHash,
  updateBlockSettlementTxIncluded, updateBlockStateDa, updateStateForSequence
} from "./blocks.js"
import { appInstanceType, clever, dt } from "./types.js"

const E_NOT_AUTHORIZED = clever(0)

export const blockFunctions = (pkg: string): MoveFunction[] => {
  const AppInstanceMut: MoveParam = { ref: "mut", type: dt(appInstanceType(pkg)) }
  const p = (type: MoveType): MoveParam => ({ type })
  const str = p(StringT)
  const u64 = p("u64")
  const bytes = p(vectorT("u8"))
  /** The instance, marked mutated before the function changes it (so an abort restores it). */
  const app = (ctx: Parameters<MoveFunction["run"]>[0], rec: unknown): AppInstanceData => {
    ctx.journal.mutate(rec as ObjRecord)
    return (rec as ObjRecord).data as AppInstanceData
  }
  const fn = (name: string, params: MoveParam[], run: MoveFunction["run"], returns: MoveParam[] = []): MoveFunction => ({
    module: "app_instance", name, params: [AppInstanceMut, ...params], returns, run,
    ...(returns.length > 0 ? { returnSchemas: [bcs.bool()] } : {})
  })
  return [
    fn("increase_sequence", [bytes, bytes, ClockParam, TxContextParam(true)], (ctx, [inst, optimistic, transition]) => {
      increaseSequence(ctx, app(ctx, inst), optimistic as Uint8Array, transition as Uint8Array)
      return []
    }),
    fn("try_create_block", [ClockParam, TxContextParam(true)], (ctx, [inst]) => {
      tryCreateBlock(ctx, app(ctx, inst))
      return []
    }),
    fn("add_state_for_sequence", [u64, p(optionT(vectorT("u8"))), p(optionT(StringT)), bytes, bytes, ClockParam, TxContextParam(true)],
      (ctx, [inst, seq, state, da, optimistic, transition]) => {
        addStateForSequence(ctx, app(ctx, inst), seq as bigint, state as Uint8Array | null, da as string | null, optimistic as Uint8Array, transition as Uint8Array)
        return []
      }),
    fn("update_state_for_sequence", [u64, p(optionT(vectorT("u8"))), p(optionT(StringT)), ClockParam, TxContextParam(false)],
      (ctx, [inst, seq, state, da]) => [updateStateForSequence(ctx, app(ctx, inst), seq as bigint, state as Uint8Array | null, da as string | null)],
      [p("bool")]),
    fn("update_block_state_data_availability", [u64, str, ClockParam, TxContextParam(true)], (ctx, [inst, block, da]) => {
      updateBlockStateDa(ctx, app(ctx, inst), block as bigint, da as string)
      return []
    }),
    fn("update_block_proof_data_availability", [u64, str, ClockParam, TxContextParam(true)], (ctx, [inst, block, da]) => {
      updateBlockProofDa(ctx, app(ctx, inst), block as bigint, da as string)
      return []
    }),
    fn("update_block_settlement_tx_hash", [str, u64, str, ClockParam, TxContextParam(true)], (ctx, [inst, chain, block, hash]) => {
      updateBlockSettlementTxHash(ctx, app(ctx, inst), chain as string, block as bigint, hash as string)
      return []
    }),
    fn("update_block_settlement_tx_included_in_block", [str, u64, u64, ClockParam, TxContextParam(true)], (ctx, [inst, chain, block, settledAt]) => {
      updateBlockSettlementTxIncluded(ctx, app(ctx, inst), chain as string, block as bigint, settledAt as bigint)
      return []
    }),
    fn("purge", [u64, ClockParam], (ctx, [inst, count]) => {
      purge(ctx, app(ctx, inst), count as bigint)
      return []
    }),
    fn("add_settlement_chain_to_instance", [str, p(optionT(StringT)), TxContextParam(false)], (ctx, [inst, chain, address]) => {
      const a = app(ctx, inst)
      if (a.s.admin !== ctx.sender) ctx.abort("app_instance", "add_settlement_chain_to_instance", E_NOT_AUTHORIZED, "Not authorized")
      addSettlementChain(ctx, a, chain as string, address as string | null)
      a.setScalar("updated_at", ctx.nowMs)
      return []
    })
  ]
}
