/**
 * Blocks, sequence states and settlement records of an AppInstance, with the rules, events and
 * aborts of the deployed `app_instance`, `block`, `sequence_state` and `settlement` modules:
 * `increase_sequence` (a new SequenceState, then `try_create_block`), `try_create_block` (respects
 * `min_time_between_blocks`, closes the block's ProofCalculation and opens the next one),
 * `update_state_for_sequence`, the block's state / proof data availability, the per-chain
 * settlement tx hash and inclusion (blocks settle in order: `EPreviousBlockNotSettled`), the
 * clean-up of blocks settled on every chain, and `purge`.
 *
 * One documented reduction: the commitment package's `AppState` is not modelled, so every
 * commitment (`Element<Scalar>`) is the zero scalar, as it is for an instance without actions.
 */
import {
  BlockLayout, BlockSettlementLayout, blockEventLayouts, blockModuleEventLayouts, SequenceStateLayout,
  sequenceStateEventLayouts, settlementEventLayouts
} from "../appLayouts.js"
import type { MoveLayout } from "../moveValue.js"
import { PlainData, type ObjRecord } from "../store.js"
import { SUI, type MoveCtx } from "../runtime.js"
import type { AppInstanceData, SettlementValue } from "./appInstanceData.js"
import { operationFailed } from "./jobs.js"
import { addProofCalculation, deleteProofCalculation, setEndSequence, U64Key } from "./prover.js"
import { tableAdd, tableBorrow, tableContains, tableRemove } from "./tables.js"
import { clever } from "./types.js"

// #[error] constants of `app_instance`, by declaration order (as package.ts / registry.ts count them).
const E_BLOCK_NOT_PROVED = clever(3)
const E_SETTLEMENT_CHAIN_NOT_FOUND = clever(4)
const E_PREVIOUS_BLOCK_NOT_SETTLED = clever(8)
const E_INVALID_PURGE_SEQUENCES = clever(9)
// `sequence_state::ESequenceTooHigh`, its only constant.
const E_SEQUENCE_TOO_HIGH = clever(0)

export interface BlockValue {
  id: string
  name: string
  block_number: bigint
  start_sequence: bigint
  end_sequence: bigint
  actions_commitment: { bytes: Uint8Array }
  state_commitment: { bytes: Uint8Array }
  time_since_last_block: bigint
  number_of_transactions: bigint
  start_actions_commitment: { bytes: Uint8Array }
  end_actions_commitment: { bytes: Uint8Array }
  state_data_availability: string | null
  proof_data_availability: string | null
  created_at: bigint
  state_calculated_at: bigint | null
  proved_at: bigint | null
}

export interface SequenceStateValue {
  id: string
  sequence: bigint
  state: Uint8Array | null
  data_availability: string | null
  optimistic_state: Uint8Array
  transition_data: Uint8Array
}

export interface BlockSettlementValue {
  id: string
  block_number: bigint
  settlement_tx_hash: string | null
  settlement_tx_included_in_block: boolean
  sent_to_settlement_at: bigint | null
  settled_at: bigint | null
}

const zero = () => ({ bytes: new Uint8Array(32) })
const emitIn = (module: string, layouts: Record<string, MoveLayout>) => (ctx: MoveCtx, name: string, value: unknown) =>
  ctx.emit(module, name, layouts[name]!, value)
const emitApp = emitIn("app_instance", blockEventLayouts)
const emitBlock = emitIn("block", blockModuleEventLayouts)
const emitSeq = emitIn("sequence_state", sequenceStateEventLayouts)
const emitSettlement = emitIn("settlement", settlementEventLayouts)

export const blockType = (pkg: string) => `${pkg}::block::Block`
const sequenceStateType = (pkg: string) => `${pkg}::sequence_state::SequenceState`
const blockSettlementType = (pkg: string) => `${pkg}::settlement::BlockSettlement`

const blockOf = (rec: ObjRecord) => (rec.data as PlainData<BlockValue>).v

/** `create_block_internal` + `block::create_block` + `object_table::add` into `blocks`; the block's timestamp. */
export const addBlock = (ctx: MoveCtx, app: AppInstanceData, n: bigint, start: bigint, end: bigint, previousTimestamp: bigint | null): bigint => {
  const now = ctx.nowMs
  const id = ctx.newId()
  const value: BlockValue = {
    id, name: `Silvana App Instance Block ${n}`, block_number: n, start_sequence: start, end_sequence: end,
    actions_commitment: zero(), state_commitment: zero(),
    time_since_last_block: previousTimestamp === null ? 0n : now - previousTimestamp,
    number_of_transactions: end - start + 1n,
    start_actions_commitment: zero(), end_actions_commitment: zero(),
    state_data_availability: null, proof_data_availability: null, created_at: now, state_calculated_at: null, proved_at: null
  }
  emitBlock(ctx, "BlockEvent", {
    address: id, name: value.name, block_number: n, start_sequence: start, end_sequence: end, created_at: now,
    time_since_last_block: value.time_since_last_block, number_of_transactions: value.number_of_transactions,
    start_actions_commitment: zero(), end_actions_commitment: zero(), state_commitment: zero()
  })
  const table = { id: app.s.blocksId, size: app.s.blocksSize }
  tableAdd(ctx, table, U64Key, n, { id, type: blockType(ctx.packageId), data: new PlainData(BlockLayout, value) })
  app.setScalar("blocksSize", table.size)
  return now
}

/** `app_instance::try_create_block` (the AppInstance record is already marked mutated). */
export const tryCreateBlock = (ctx: MoveCtx, app: AppInstanceData): void => {
  const s = app.s
  const now = ctx.nowMs
  if (s.previous_block_last_sequence + 1n === s.sequence) {
    emitApp(ctx, "NoNewSequencesEvent", { app_instance_address: s.id, current_sequence: s.sequence, previous_block_last_sequence: s.previous_block_last_sequence, timestamp: now })
    return
  }
  if (now - s.previous_block_timestamp <= s.min_time_between_blocks) {
    emitApp(ctx, "InsufficientTimeForBlockEvent", {
      app_instance_address: s.id, current_time: now, previous_block_timestamp: s.previous_block_timestamp,
      time_since_last_block: now - s.previous_block_timestamp, min_time_required: s.min_time_between_blocks
    })
    return
  }
  const n = s.block_number
  const start = s.previous_block_last_sequence + 1n
  // Move's u64 subtraction aborts on underflow (an instance without any sequence yet).
  if (s.sequence === 0n) ctx.abort("app_instance", "try_create_block", 0n, "arithmetic error: u64 underflow (no sequences)")
  const end = s.sequence - 1n
  if (setEndSequence(ctx, app, n, end) && s.last_proved_block_number === n - 1n) app.setScalar("last_proved_block_number", n)
  const timestamp = addBlock(ctx, app, n, start, end, s.previous_block_timestamp)
  app.setScalar("block_number", n + 1n)
  addProofCalculation(ctx, app, n + 1n, s.sequence, null)
  app.setScalar("previous_block_timestamp", timestamp)
  app.setScalar("previous_block_last_sequence", end)
  emitApp(ctx, "BlockCreatedEvent", { app_instance_address: s.id, block_number: n, start_sequence: start, end_sequence: end, timestamp })
}

/** `sequence_state::add_state_for_sequence`: sequences are added in order from 0. */
export const addStateForSequence = (
  ctx: MoveCtx, app: AppInstanceData, sequence: bigint, state: Uint8Array | null, da: string | null, optimistic: Uint8Array, transition: Uint8Array
): void => {
  const s = app.s
  const expected = s.highestSequence === null ? 0n : s.highestSequence + 1n
  if (sequence !== expected) ctx.abort("sequence_state", "add_state_for_sequence", E_SEQUENCE_TOO_HIGH, "Sequence is higher than highest sequence")
  const id = ctx.newId()
  const value: SequenceStateValue = { id, sequence, state, data_availability: da, optimistic_state: optimistic, transition_data: transition }
  const table = { id: s.sequenceStatesId, size: s.sequenceStatesSize }
  tableAdd(ctx, table, U64Key, sequence, { id, type: sequenceStateType(ctx.packageId), data: new PlainData(SequenceStateLayout, value) })
  app.setScalar("sequenceStatesSize", table.size)
  if (s.lowestSequence === null || sequence < s.lowestSequence) app.setScalar("lowestSequence", sequence)
  if (s.highestSequence === null || sequence > s.highestSequence) app.setScalar("highestSequence", sequence)
  emitSeq(ctx, "SequenceStateAddedEvent", {
    manager_address: s.sequenceStatesManagerId, sequence, state_data: state, data_availability_hash: da,
    optimistic_state: optimistic, transition_data: transition, timestamp: ctx.nowMs
  })
}

/** `app_instance::increase_sequence` */
export const increaseSequence = (ctx: MoveCtx, app: AppInstanceData, optimistic: Uint8Array, transition: Uint8Array): void => {
  addStateForSequence(ctx, app, app.s.sequence, null, null, optimistic, transition)
  app.setScalar("sequence", app.s.sequence + 1n)
  tryCreateBlock(ctx, app)
}

/** `sequence_state::update_state_for_sequence`: false (with an OperationFailedEvent) outside the kept range. */
export const updateStateForSequence = (ctx: MoveCtx, app: AppInstanceData, sequence: bigint, state: Uint8Array | null, da: string | null): boolean => {
  const s = app.s
  const failed = (reason: string) => {
    operationFailed(ctx, "update_state_for_sequence", "sequence_state", sequence, reason, null)
    return false
  }
  if (s.lowestSequence === null || s.highestSequence === null) {
    if (sequence !== 0n) return failed("sequence_too_high")
  } else {
    if (sequence < s.lowestSequence) return failed("sequence_too_low")
    if (sequence > s.highestSequence) return failed("sequence_too_high")
  }
  if (!tableContains(ctx, s.sequenceStatesId, U64Key, sequence)) return failed("sequence_state_not_found")
  const rec = tableBorrow(ctx, s.sequenceStatesId, U64Key, sequence)
  ctx.journal.mutate(rec)
  const v = (rec.data as PlainData<SequenceStateValue>).v
  v.state = state
  v.data_availability = da
  emitSeq(ctx, "SequenceStateUpdatedEvent", {
    manager_address: s.sequenceStatesManagerId, sequence, new_state_data: state, new_data_availability_hash: da, timestamp: ctx.nowMs
  })
  return true
}

const borrowBlockMut = (ctx: MoveCtx, app: AppInstanceData, n: bigint): BlockValue => {
  const rec = tableBorrow(ctx, app.s.blocksId, U64Key, n)
  ctx.journal.mutate(rec)
  return blockOf(rec)
}

/** `block::set_data_availability` */
const setDataAvailability = (ctx: MoveCtx, b: BlockValue, stateDa: string | null, proofDa: string | null, stateAt: bigint | null, provedAt: bigint | null) => {
  b.state_data_availability = stateDa
  b.proof_data_availability = proofDa
  b.state_calculated_at = stateAt
  b.proved_at = provedAt
  emitBlock(ctx, "DataAvailabilityEvent", {
    block_number: b.block_number, state_data_availability: stateDa, proof_data_availability: proofDa,
    state_calculated_at: stateAt, proof_calculated_at: provedAt
  })
}

/** `app_instance::update_block_state_data_availability` (resets the proof DA, as the Move does). */
export const updateBlockStateDa = (ctx: MoveCtx, app: AppInstanceData, n: bigint, da: string): void =>
  setDataAvailability(ctx, borrowBlockMut(ctx, app, n), da, null, ctx.nowMs, null)

/** `app_instance::update_block_proof_data_availability` */
export const updateBlockProofDa = (ctx: MoveCtx, app: AppInstanceData, n: bigint, da: string): void => {
  const b = borrowBlockMut(ctx, app, n)
  setDataAvailability(ctx, b, b.state_data_availability, da, b.state_calculated_at, ctx.nowMs)
}

/** The checks both settlement updates start with: the block is proved, the chain is known. */
const settlementOf = (ctx: MoveCtx, app: AppInstanceData, fn: string, chain: string, n: bigint): SettlementValue => {
  const b = blockOf(tableBorrow(ctx, app.s.blocksId, U64Key, n))
  if (b.state_data_availability === null || (b.proof_data_availability === null && n !== 0n)) ctx.abort("app_instance", fn, E_BLOCK_NOT_PROVED, "Block not proved")
  const st = app.settlements.get(chain)
  if (st === undefined) ctx.abort("app_instance", fn, E_SETTLEMENT_CHAIN_NOT_FOUND, "Settlement chain not found")
  return st
}

type SettlementTx = Omit<BlockSettlementValue, "id" | "block_number">

/** `settlement::set_block_settlement_tx`, with the purge of records of blocks settled before. */
const setBlockSettlementTx = (ctx: MoveCtx, app: AppInstanceData, st: SettlementValue, n: bigint, tx: SettlementTx): void => {
  const table = { id: st.block_settlements.id, size: st.block_settlements.size }
  if (!tableContains(ctx, table.id, U64Key, n)) {
    const id = ctx.newId()
    tableAdd(ctx, table, U64Key, n, { id, type: blockSettlementType(ctx.packageId), data: new PlainData(BlockSettlementLayout, { id, block_number: n, ...tx }) })
  } else {
    const rec = tableBorrow(ctx, table.id, U64Key, n)
    ctx.journal.mutate(rec)
    Object.assign((rec.data as PlainData<BlockSettlementValue>).v, tx)
  }
  if (tx.settlement_tx_included_in_block) {
    emitSettlement(ctx, "BlockSettledEvent", {
      chain: st.chain, block_number: n, settlement_tx_hash: tx.settlement_tx_hash, sent_to_settlement_at: tx.sent_to_settlement_at, settled_at: tx.settled_at
    })
    let last = st.last_settled_block_number
    while (last < n) {
      const next = last + 1n
      if (!tableContains(ctx, table.id, U64Key, next)) break
      const nextRec = tableBorrow(ctx, table.id, U64Key, next)
      if (!(nextRec.data as PlainData<BlockSettlementValue>).v.settlement_tx_included_in_block) break
      if (tableContains(ctx, table.id, U64Key, last)) {
        const old = tableRemove(ctx, table, U64Key, last)
        emitSettlement(ctx, "BlockSettlementPurgedEvent", { chain: st.chain, block_number: last, reason: "Block already settled and finalized" })
        ctx.journal.delete(old.id)
      }
      last = next
    }
    app.setSettlement(st.chain, "last_settled_block_number", last)
  }
  app.setSettlement(st.chain, "block_settlements", table)
  emitSettlement(ctx, "BlockSettlementTransactionEvent", { chain: st.chain, block_number: n, ...tx })
}

const blockSettlementOf = (ctx: MoveCtx, st: SettlementValue, n: bigint): BlockSettlementValue | undefined =>
  tableContains(ctx, st.block_settlements.id, U64Key, n)
    ? (tableBorrow(ctx, st.block_settlements.id, U64Key, n).data as PlainData<BlockSettlementValue>).v
    : undefined

/** `app_instance::update_block_settlement_tx_hash` */
export const updateBlockSettlementTxHash = (ctx: MoveCtx, app: AppInstanceData, chain: string, n: bigint, hash: string): void => {
  const st = settlementOf(ctx, app, "update_block_settlement_tx_hash", chain, n)
  setBlockSettlementTx(ctx, app, st, n, {
    settlement_tx_hash: hash, settlement_tx_included_in_block: false, sent_to_settlement_at: ctx.nowMs, settled_at: null
  })
}

/** `app_instance::update_block_settlement_tx_included_in_block` */
export const updateBlockSettlementTxIncluded = (ctx: MoveCtx, app: AppInstanceData, chain: string, n: bigint, settledAt: bigint): void => {
  const fn = "update_block_settlement_tx_included_in_block"
  const st = settlementOf(ctx, app, fn, chain, n)
  if (n !== st.last_settled_block_number + 1n) ctx.abort("app_instance", fn, E_PREVIOUS_BLOCK_NOT_SETTLED, "Previous block not settled yet")
  app.setSettlement(chain, "last_settled_block_number", n)
  const before = blockSettlementOf(ctx, st, n)
  setBlockSettlementTx(ctx, app, st, n, {
    settlement_tx_hash: before?.settlement_tx_hash ?? null, settlement_tx_included_in_block: true,
    sent_to_settlement_at: before?.sent_to_settlement_at ?? null, settled_at: settledAt
  })
  updateAppLastSettledBlockNumber(ctx, app)
}

/** `update_app_last_settled_block_number`: the minimum over chains; blocks settled everywhere are removed. */
const updateAppLastSettledBlockNumber = (ctx: MoveCtx, app: AppInstanceData): void => {
  if (app.settlements.size === 0) return
  const min = [...app.settlements.values()].reduce((m, st) => (st.last_settled_block_number < m ? st.last_settled_block_number : m), [...app.settlements.values()][0]!.last_settled_block_number)
  const previous = app.s.last_settled_block_number
  app.setScalar("last_settled_block_number", min)
  const start = previous === 0n ? 1n : previous
  emitApp(ctx, "BlockCleanupEvent", {
    app_instance_address: app.s.id, previous_last_settled: previous, new_min_settled: min, start_block: start, settlements_count: BigInt(app.settlements.size)
  })
  if (!(min > previous && min > 0n)) return
  for (let n = start; n <= min; n++) {
    if (tableContains(ctx, app.s.blocksId, U64Key, n)) {
      const table = { id: app.s.blocksId, size: app.s.blocksSize }
      const rec = tableRemove(ctx, table, U64Key, n)
      app.setScalar("blocksSize", table.size)
      app.setScalar("last_settled_sequence", blockOf(rec).end_sequence)
      ctx.journal.delete(rec.id)
      emitApp(ctx, "BlockPurgedEvent", { app_instance_address: app.s.id, block_number: n, reason: "Block settled on all chains" })
    }
    if (tableContains(ctx, app.s.proofCalculationsId, U64Key, n)) deleteProofCalculation(ctx, app, n)
  }
}

/** `app_instance::purge`: drops sequence states up to what is settled, at most `count` of them. */
export const purge = (ctx: MoveCtx, app: AppInstanceData, count: bigint): void => {
  if (count === 0n) ctx.abort("app_instance", "purge", E_INVALID_PURGE_SEQUENCES, "Invalid purge sequences")
  const s = app.s
  let last = s.last_purged_sequence + count
  if (last > s.last_settled_sequence) last = s.last_settled_sequence
  if (last <= s.last_purged_sequence) return
  if (s.lowestSequence !== null && s.highestSequence !== null) {
    const oldLowest = s.lowestSequence
    let purged = 0n
    const table = { id: s.sequenceStatesId, size: s.sequenceStatesSize }
    for (let q = oldLowest; q < last && q <= s.highestSequence; q++) {
      if (!tableContains(ctx, table.id, U64Key, q)) continue
      ctx.journal.delete(tableRemove(ctx, table, U64Key, q).id)
      purged++
    }
    app.setScalar("sequenceStatesSize", table.size)
    app.setScalar("lowestSequence", last)
    emitSeq(ctx, "SequenceStatesPurgedEvent", {
      manager_address: s.sequenceStatesManagerId, old_lowest_sequence: oldLowest, new_lowest_sequence: last, sequences_purged: purged, timestamp: ctx.nowMs
    })
  }
  app.setScalar("last_purged_sequence", last)
}

/** `settlement::create_settlement` appended to the instance's `settlements` (localnet seeding only). */
export const addSettlementChain = (ctx: MoveCtx, app: AppInstanceData, chain: string, address: string | null): void => {
  if (app.settlements.has(chain)) ctx.abort("vec_map", "insert", 0n, `settlement chain ${chain} already exists`, SUI)
  app.addSettlement({ chain, last_settled_block_number: 0n, settlement_address: address, block_settlements: { id: ctx.newId(), size: 0n }, settlement_job: null })
  emitSettlement(ctx, "SettlementCreatedEvent", { chain, settlement_address: address })
}
