/**
 * Move layouts of the AppInstance's application data: the prover's `ProofCalculation` and `Proof`
 * (module `prover`) and the events of `app_instance` (kv, metadata, blocks) and `prover`, in
 * declaration order as in the deployed coordination package.
 */
import { opt, struct, vec, vecMap, type MoveLayout } from "./moveValue.js"

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
  ])
}

export const appInstanceEventLayouts: Record<string, MoveLayout> = {
  KVSetEvent: struct("KVSetEvent", [["app_instance_address", "address"], ["key", "string"], ["value", "string"]]),
  KVDeletedEvent: struct("KVDeletedEvent", [["app_instance_address", "address"], ["key", "string"]]),
  MetadataAddedEvent: struct("MetadataAddedEvent", [["app_instance_address", "address"], ["key", "string"], ["value", "string"]])
}
