/**
 * BCS layouts of the prover's objects (`prover::ProofCalculation`, `prover::Proof`) and of the
 * app_instance / prover events the agent API's chain side emits. Declaration order as in the
 * deployed coordination package. Written once here; the localnet stores and emits with them.
 */
import type { BlockProofState, ProofStatus as PlannedStatus } from "../domain/mergePlan.js"
import { bcsSchema, opt, struct, vec, vecMap, type MoveLayout } from "./moveLayout.js"

export const ProofLayout = struct("Proof", [
  ["status", "u8"],
  ["da_hash", opt("string")],
  ["sequence1", opt(vec("u64"))],
  ["sequence2", opt(vec("u64"))],
  ["rejected_count", "u16"],
  ["timestamp", "u64"],
  ["prover", "address"],
  ["user", opt("address")],
  ["job_id", opt("string")]
])

export const ProofCalculationLayout = struct("ProofCalculation", [
  ["id", "uid"],
  ["block_number", "u64"],
  ["start_sequence", "u64"],
  ["end_sequence", opt("u64")],
  ["proofs", vecMap(vec("u64"), ProofLayout)],
  ["block_proof", opt("string")],
  ["is_finished", "bool"]
])

const seqEvent = (name: string, extra: ReadonlyArray<readonly [string, MoveLayout]>) =>
  struct(name, [["block_number", "u64"], ["sequences", vec("u64")], ...extra])

/** Events of module `prover`. */
export const proverEventLayouts: Record<string, MoveLayout> = {
  ProofStartedEvent: seqEvent("ProofStartedEvent", [["timestamp", "u64"], ["prover", "address"]]),
  ProofSubmittedEvent: seqEvent("ProofSubmittedEvent", [
    ["da_hash", "string"],
    ["timestamp", "u64"],
    ["prover", "address"],
    ["cpu_time", "u64"],
    ["cpu_cores", "u8"],
    ["prover_memory", "u64"],
    ["prover_architecture", "string"]
  ]),
  ProofUsedEvent: seqEvent("ProofUsedEvent", [["da_hash", "string"], ["timestamp", "u64"], ["user", "address"]]),
  ProofReservedEvent: seqEvent("ProofReservedEvent", [["da_hash", "string"], ["timestamp", "u64"], ["user", "address"]]),
  ProofReturnedEvent: seqEvent("ProofReturnedEvent", [["timestamp", "u64"]]),
  ProofRejectedEvent: seqEvent("ProofRejectedEvent", [["timestamp", "u64"], ["verifier", "address"]]),
  BlockProofEvent: struct("BlockProofEvent", [
    ["block_number", "u64"],
    ["start_sequence", "u64"],
    ["end_sequence", "u64"],
    ["da_hash", "string"],
    ["timestamp", "u64"]
  ]),
  ProofCalculationCreatedEvent: struct("ProofCalculationCreatedEvent", [
    ["block_number", "u64"],
    ["start_sequence", "u64"],
    ["end_sequence", opt("u64")],
    ["timestamp", "u64"]
  ]),
  ProofCalculationFinishedEvent: struct("ProofCalculationFinishedEvent", [
    ["proof_calculation_address", "address"],
    ["block_number", "u64"],
    ["start_sequence", "u64"],
    ["end_sequence", "u64"],
    ["block_proof", "string"],
    ["is_finished", "bool"],
    ["proofs_count", "u64"],
    ["timestamp", "u64"]
  ]),
  ProofCalculationDeletedEvent: struct("ProofCalculationDeletedEvent", [
    ["app_instance_id", "address"],
    ["block_number", "u64"],
    ["start_sequence", "u64"],
    ["end_sequence", opt("u64")],
    ["proofs", vecMap(vec("u64"), ProofLayout)],
    ["block_proof", opt("string")],
    ["is_finished", "bool"],
    ["timestamp", "u64"]
  ])
}

/** Events of module `app_instance` about its kv and metadata. */
export const appInstanceEventLayouts: Record<string, MoveLayout> = {
  KVSetEvent: struct("KVSetEvent", [["app_instance_address", "address"], ["key", "string"], ["value", "string"]]),
  KVDeletedEvent: struct("KVDeletedEvent", [["app_instance_address", "address"], ["key", "string"]]),
  MetadataAddedEvent: struct("MetadataAddedEvent", [["app_instance_address", "address"], ["key", "string"], ["value", "string"]])
}

export const Proof = bcsSchema(ProofLayout)
export const ProofCalculation = bcsSchema(ProofCalculationLayout)
export const ProofSubmittedEvent = bcsSchema(proverEventLayouts.ProofSubmittedEvent!)
export const BlockProofEvent = bcsSchema(proverEventLayouts.BlockProofEvent!)
export const KVSetEvent = bcsSchema(appInstanceEventLayouts.KVSetEvent!)
export const KVDeletedEvent = bcsSchema(appInstanceEventLayouts.KVDeletedEvent!)
export const MetadataAddedEvent = bcsSchema(appInstanceEventLayouts.MetadataAddedEvent!)

/** `prover` proof statuses. */
export const ProofStatus = { Started: 1, Calculated: 2, Rejected: 3, Reserved: 4, Used: 5 } as const

export interface DecodedProof {
  readonly sequences: ReadonlyArray<bigint>
  readonly status: number
  readonly daHash: string | null
  readonly sequence1: ReadonlyArray<bigint> | null
  readonly sequence2: ReadonlyArray<bigint> | null
  readonly rejectedCount: number
  readonly timestamp: bigint
  readonly prover: string
  readonly user: string | null
  readonly jobId: string | null
}

export interface DecodedProofCalculation {
  readonly id: string
  readonly blockNumber: bigint
  readonly startSequence: bigint
  readonly endSequence: bigint | null
  readonly proofs: ReadonlyArray<DecodedProof>
  readonly blockProof: string | null
  readonly isFinished: boolean
}

const big = (v: string | number | bigint) => BigInt(v)
const bigs = (v: ReadonlyArray<string | number | bigint> | null | undefined) => (v === null || v === undefined ? null : v.map(big))

export const decodeProofCalculation = (bytes: Uint8Array): DecodedProofCalculation => {
  const p = ProofCalculation.parse(bytes)
  return {
    id: p.id,
    blockNumber: big(p.block_number),
    startSequence: big(p.start_sequence),
    endSequence: p.end_sequence === null || p.end_sequence === undefined ? null : big(p.end_sequence),
    proofs: (p.proofs.contents as Array<{ key: string[]; value: any }>).map((e) => ({
      sequences: e.key.map(big),
      status: e.value.status,
      daHash: e.value.da_hash ?? null,
      sequence1: bigs(e.value.sequence1),
      sequence2: bigs(e.value.sequence2),
      rejectedCount: e.value.rejected_count,
      timestamp: big(e.value.timestamp),
      prover: e.value.prover,
      user: e.value.user ?? null,
      jobId: e.value.job_id ?? null
    })),
    blockProof: p.block_proof ?? null,
    isFinished: p.is_finished
  }
}

/** A block's prover state as the merge planner reads it (domain/mergePlan.ts). */
export const toBlockProofState = (pc: DecodedProofCalculation): BlockProofState => ({
  blockNumber: pc.blockNumber,
  startSequence: pc.startSequence,
  endSequence: pc.endSequence ?? undefined,
  isFinished: pc.isFinished,
  proofs: pc.proofs.map((p) => ({ sequences: p.sequences, status: p.status as PlannedStatus, timestamp: p.timestamp, merged: p.sequence1 !== null }))
})
