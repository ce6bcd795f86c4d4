/**
 * Module `prover` of the coordination package and the `app_instance` entry points over it: one
 * `ProofCalculation` per block (ObjectTable `proof_calculations`, keyed by block number) holding a
 * `VecMap<vector<u64>, Proof>`. Same state rules, events and aborts as the deployed Move:
 * `start_proving` (reserve the two halves of a merge), `submit_proof` (use them; the proof of the
 * whole range finishes the block), `reject_proof` (return them), `create_merge_job`.
 */
import { appInstanceEventLayouts, ProofCalculationLayout, proverEventLayouts } from "../appLayouts.js"
import { PlainData, type ObjRecord } from "../store.js"
import { type MoveCtx, STD, SUI } from "../runtime.js"
import type { AppInstanceData } from "./appInstanceData.js"
import { operationFailed } from "./jobs.js"
import { tableAdd, tableBorrow, tableContains, tableRemove, type TableKey } from "./tables.js"
import { clever } from "./types.js"

export const PROOF_STATUS = { STARTED: 1, CALCULATED: 2, REJECTED: 3, RESERVED: 4, USED: 5 } as const
/** Any proof may be restarted, reserved or merged 5 minutes after its last change. */
export const PROOF_TIMEOUT_MS = 300_000n

// #[error] constants of `prover`, by index in the module's constant list (5 statuses and the timeout come first).
const E_PROOF_NOT_CALCULATED = clever(6)
const E_SEQUENCE_OUT_OF_RANGE = clever(7)
const E_SEQUENCES_CANNOT_BE_EMPTY = clever(8)

export interface ProofValue {
  status: number
  da_hash: string | null
  sequence1: bigint[] | null
  sequence2: bigint[] | null
  rejected_count: number
  timestamp: bigint
  prover: string
  user: string | null
  job_id: string | null
}

export interface ProofCalculationValue {
  id: string
  block_number: bigint
  start_sequence: bigint
  end_sequence: bigint | null
  proofs: { contents: Array<{ key: bigint[]; value: ProofValue }> }
  block_proof: string | null
  is_finished: boolean
}

export const U64Key: TableKey = { typeName: "u64", layout: "u64" }
export const proofCalculationType = (pkg: string): string => `${pkg}::prover::ProofCalculation`

const emitProver = (ctx: MoveCtx, name: string, value: unknown) => ctx.emit("prover", name, proverEventLayouts[name]!, value)
export const emitAppInstance = (ctx: MoveCtx, name: string, value: unknown) =>
  ctx.emit("app_instance", name, appInstanceEventLayouts[name]!, value)

/** `prover::create_block_proof_calculation` followed by `object_table::add` into the instance's table. */
export const addProofCalculation = (
  ctx: MoveCtx,
  app: AppInstanceData,
  blockNumber: bigint,
  startSequence: bigint,
  endSequence: bigint | null
): void => {
  const id = ctx.newId()
  const value: ProofCalculationValue = {
    id, block_number: blockNumber, start_sequence: startSequence, end_sequence: endSequence,
    proofs: { contents: [] }, block_proof: null, is_finished: blockNumber === 0n
  }
  emitProver(ctx, "ProofCalculationCreatedEvent", { block_number: blockNumber, start_sequence: startSequence, end_sequence: endSequence, timestamp: ctx.nowMs })
  const table = { id: app.s.proofCalculationsId, size: app.s.proofCalculationsSize }
  tableAdd(ctx, table, U64Key, blockNumber, {
    id, type: proofCalculationType(ctx.packageId), data: new PlainData(ProofCalculationLayout, value)
  })
  app.setScalar("proofCalculationsSize", table.size)
}

const keyOf = (seqs: ReadonlyArray<bigint>): string => seqs.join(",")
const find = (pc: ProofCalculationValue, seqs: ReadonlyArray<bigint>): ProofValue | undefined => {
  const k = keyOf(seqs)
  return pc.proofs.contents.find((e) => keyOf(e.key) === k)?.value
}

/** `prover::sort_and_validate_sequences` */
const sortAndValidate = (ctx: MoveCtx, fn: string, seqs: ReadonlyArray<bigint>, pc: ProofCalculationValue): bigint[] => {
  if (seqs.length === 0) ctx.abort("prover", fn, E_SEQUENCES_CANNOT_BE_EMPTY, "Sequences vector cannot be empty")
  const sorted = [...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  if (sorted[0]! < pc.start_sequence) ctx.abort("prover", fn, E_SEQUENCE_OUT_OF_RANGE, "Sequence is outside valid range for this block")
  if (pc.end_sequence !== null && sorted[sorted.length - 1]! > pc.end_sequence) {
    ctx.abort("prover", fn, E_SEQUENCE_OUT_OF_RANGE, "Sequence is outside valid range for this block")
  }
  return sorted
}

const optSorted = (ctx: MoveCtx, fn: string, s: bigint[] | null, pc: ProofCalculationValue) =>
  s === null ? null : sortAndValidate(ctx, fn, s, pc)

const isBlockProof = (pc: ProofCalculationValue, sorted: bigint[]) =>
  pc.end_sequence !== null && sorted[0] === pc.start_sequence && sorted[sorted.length - 1] === pc.end_sequence

const canReserve = (p: ProofValue, blockProof: boolean, now: bigint) =>
  p.status === PROOF_STATUS.CALCULATED ||
  now > p.timestamp + PROOF_TIMEOUT_MS ||
  (blockProof && (p.status === PROOF_STATUS.USED || p.status === PROOF_STATUS.RESERVED))

const returnProof = (ctx: MoveCtx, pc: ProofCalculationValue, seqs: bigint[]) => {
  const p = find(pc, seqs)
  if (p === undefined) return
  p.status = PROOF_STATUS.CALCULATED
  p.timestamp = ctx.nowMs
  p.user = null
  emitProver(ctx, "ProofReturnedEvent", { block_number: pc.block_number, sequences: seqs, timestamp: ctx.nowMs })
}

/** The mutable ProofCalculation of `block`, or undefined when the table has none (callers return quietly). */
const borrowPc = (ctx: MoveCtx, app: AppInstanceData, block: bigint): { rec: ObjRecord; pc: ProofCalculationValue } | undefined => {
  if (!tableContains(ctx, app.s.proofCalculationsId, U64Key, block)) return undefined
  const rec = tableBorrow(ctx, app.s.proofCalculationsId, U64Key, block)
  ctx.journal.mutate(rec)
  return { rec, pc: (rec.data as PlainData<ProofCalculationValue>).v }
}

/** `app_instance::start_proving` */
export const startProving = (
  ctx: MoveCtx, app: AppInstanceData, block: bigint, seqs: bigint[], m1: bigint[] | null, m2: bigint[] | null
): boolean => {
  const b = borrowPc(ctx, app, block)
  if (b === undefined) return false
  const { pc } = b
  const now = ctx.nowMs
  const sorted = sortAndValidate(ctx, "start_proving", seqs, pc)
  const s1 = optSorted(ctx, "start_proving", m1, pc)
  const s2 = optSorted(ctx, "start_proving", m2, pc)
  const blockProof = isBlockProof(pc, sorted)
  const fresh: ProofValue = {
    status: PROOF_STATUS.STARTED, da_hash: null, sequence1: s1, sequence2: s2, rejected_count: 0,
    timestamp: now, prover: ctx.sender, user: null, job_id: null
  }
  const existing = find(pc, sorted)
  if (existing !== undefined) {
    if (existing.status !== PROOF_STATUS.REJECTED && !(now > existing.timestamp + PROOF_TIMEOUT_MS)) {
      const bytes = new Uint8Array([sorted.length, ...sorted.flatMap((s) => [...u64le(s)])])
      operationFailed(ctx, "start_proving", "proof", pc.block_number, "proof_already_started", bytes)
      return false
    }
    const old1 = existing.sequence1
    const old2 = existing.sequence2
    Object.assign(existing, { ...fresh, rejected_count: existing.rejected_count })
    if (old1 !== null && old1.length > 0) returnProof(ctx, pc, old1)
    if (old2 !== null && old2.length > 0) returnProof(ctx, pc, old2)
  } else {
    for (const half of [s1, s2]) {
      if (half === null) continue
      const p = find(pc, half)
      if (p === undefined || !canReserve(p, blockProof, now)) return false
    }
    pc.proofs.contents.push({ key: sorted, value: fresh })
  }
  for (const half of [s1, s2]) {
    if (half === null) continue
    const p = find(pc, half)
    if (p === undefined) ctx.abort("vec_map", "get_idx", 1n, "vec_map: key not found", SUI)
    // As `prover::start_proving`: a half that cannot be reserved ends the call with `false` (a
    // merge restarted above stays restarted); it never reaches the borrow of the half's DA hash.
    if (!canReserve(p, blockProof, now)) {
      operationFailed(ctx, "reserve_proof", "proof", 0n, "Proof not calculated or already used", null)
      return false
    }
    p.status = PROOF_STATUS.RESERVED
    p.timestamp = now
    p.user = ctx.sender
    if (p.da_hash === null) ctx.abort("option", "borrow", 0x40001n, "option::borrow on None (reserved proof without da_hash)", STD)
    emitProver(ctx, "ProofReservedEvent", { block_number: pc.block_number, sequences: half, da_hash: p.da_hash, timestamp: now, user: ctx.sender })
  }
  emitProver(ctx, "ProofStartedEvent", { block_number: pc.block_number, sequences: sorted, timestamp: now, prover: ctx.sender })
  return true
}

const u64le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, v, true)
  return b
}

export interface SubmitProofArgs {
  block: bigint
  sequences: bigint[]
  merged1: bigint[] | null
  merged2: bigint[] | null
  jobId: string
  daHash: string
  cpuCores: number
  architecture: string
  memory: bigint
  cpuTime: bigint
}

/** `app_instance::submit_proof` (with `prover::submit_proof` and the last-proved-block advance). */
export const submitProof = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, a: SubmitProofArgs): void => {
  const b = borrowPc(ctx, app, a.block)
  if (b === undefined) return
  const { pc } = b
  const now = ctx.nowMs
  const sorted = sortAndValidate(ctx, "submit_proof", a.sequences, pc)
  const s1 = optSorted(ctx, "submit_proof", a.merged1, pc)
  const s2 = optSorted(ctx, "submit_proof", a.merged2, pc)
  const proof: ProofValue = {
    status: PROOF_STATUS.CALCULATED, da_hash: a.daHash, sequence1: s1, sequence2: s2, rejected_count: 0,
    timestamp: now, prover: ctx.sender, user: null, job_id: a.jobId
  }
  emitProver(ctx, "ProofSubmittedEvent", {
    block_number: pc.block_number, sequences: sorted, da_hash: a.daHash, timestamp: now, prover: ctx.sender,
    cpu_time: a.cpuTime, cpu_cores: a.cpuCores, prover_memory: a.memory, prover_architecture: a.architecture
  })
  const existing = find(pc, sorted)
  if (existing !== undefined) Object.assign(existing, { ...proof, rejected_count: existing.rejected_count })
  else pc.proofs.contents.push({ key: sorted, value: proof })
  for (const half of [s1, s2]) {
    if (half === null) continue
    const p = find(pc, half)
    if (p === undefined) ctx.abort("vec_map", "get_idx", 1n, "vec_map: key not found", SUI)
    if (p.status === PROOF_STATUS.REJECTED || p.status === PROOF_STATUS.STARTED) {
      ctx.abort("prover", "submit_proof", E_PROOF_NOT_CALCULATED, "Proof not calculated or already used")
    }
    p.status = PROOF_STATUS.USED
    p.timestamp = now
    p.user = ctx.sender
    emitProver(ctx, "ProofUsedEvent", { block_number: pc.block_number, sequences: half, da_hash: p.da_hash ?? "", timestamp: now, user: ctx.sender })
  }
  if (!isBlockProof(pc, sorted)) return
  pc.block_proof = a.daHash
  pc.is_finished = true
  emitProver(ctx, "BlockProofEvent", {
    block_number: pc.block_number, start_sequence: pc.start_sequence, end_sequence: pc.end_sequence!, da_hash: a.daHash, timestamp: now
  })
  ctx.journal.mutate(appRec)
  for (let i = app.s.last_proved_block_number + 1n; i < app.s.block_number; i++) {
    const rec = tableBorrow(ctx, app.s.proofCalculationsId, U64Key, i)
    if (!(rec.data as PlainData<ProofCalculationValue>).v.is_finished) return
    app.setScalar("last_proved_block_number", i)
  }
}

/** `app_instance::reject_proof` */
export const rejectProof = (ctx: MoveCtx, app: AppInstanceData, block: bigint, seqs: bigint[]): void => {
  const b = borrowPc(ctx, app, block)
  if (b === undefined) return
  const { pc } = b
  const sorted = sortAndValidate(ctx, "reject_proof", seqs, pc)
  const p = find(pc, sorted)
  if (p === undefined) ctx.abort("vec_map", "get_idx", 1n, "vec_map: key not found", SUI)
  p.status = PROOF_STATUS.REJECTED
  p.rejected_count += 1
  const s1 = p.sequence1
  const s2 = p.sequence2
  if (s1 !== null && s1.length > 0) returnProof(ctx, pc, s1)
  if (s2 !== null && s2.length > 0) returnProof(ctx, pc, s2)
  emitProver(ctx, "ProofRejectedEvent", { block_number: pc.block_number, sequences: sorted, timestamp: ctx.nowMs, verifier: ctx.sender })
}

/**
 * `prover::set_end_sequence` on the block's ProofCalculation (it must exist: `borrow_mut` aborts):
 * closes the range and, when a calculated proof of exactly that range exists, uses it as the block
 * proof (`finish_proof_calculation`). True when the block is proved by that.
 */
export const setEndSequence = (ctx: MoveCtx, app: AppInstanceData, block: bigint, end: bigint): boolean => {
  const rec = tableBorrow(ctx, app.s.proofCalculationsId, U64Key, block)
  ctx.journal.mutate(rec)
  const pc = (rec.data as PlainData<ProofCalculationValue>).v
  pc.end_sequence = end
  const range: bigint[] = []
  for (let i = pc.start_sequence; i <= end; i++) range.push(i)
  const p = find(pc, range)
  if (p === undefined || p.status !== PROOF_STATUS.CALCULATED || p.da_hash === null) return false
  p.status = PROOF_STATUS.USED
  p.timestamp = ctx.nowMs
  p.user = ctx.sender
  pc.block_proof = p.da_hash
  pc.is_finished = true
  emitProver(ctx, "BlockProofEvent", { block_number: pc.block_number, start_sequence: pc.start_sequence, end_sequence: end, da_hash: p.da_hash, timestamp: ctx.nowMs })
  return true
}

/** `object_table::remove` of the block's ProofCalculation and `prover::delete_proof_calculation`. */
export const deleteProofCalculation = (ctx: MoveCtx, app: AppInstanceData, block: bigint): void => {
  const table = { id: app.s.proofCalculationsId, size: app.s.proofCalculationsSize }
  const rec = tableRemove(ctx, table, U64Key, block)
  app.setScalar("proofCalculationsSize", table.size)
  const pc = (rec.data as PlainData<ProofCalculationValue>).v
  emitProver(ctx, "ProofCalculationFinishedEvent", {
    proof_calculation_address: pc.id, block_number: pc.block_number, start_sequence: pc.start_sequence, end_sequence: pc.end_sequence ?? 0n,
    block_proof: pc.block_proof ?? "", is_finished: pc.is_finished, proofs_count: BigInt(pc.proofs.contents.length), timestamp: ctx.nowMs
  })
  emitProver(ctx, "ProofCalculationDeletedEvent", {
    app_instance_id: app.s.id, block_number: pc.block_number, start_sequence: pc.start_sequence, end_sequence: pc.end_sequence,
    proofs: pc.proofs, block_proof: pc.block_proof, is_finished: pc.is_finished, timestamp: ctx.nowMs
  })
  ctx.journal.delete(rec.id)
}
