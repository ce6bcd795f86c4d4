/**
 * BCS layouts of the prover's objects (`prover::ProofCalculation`, `prover::Proof`) and of the
 * app_instance / prover events the agent API's chain side emits. Declaration order as in the
 * deployed coordination package; the localnet's layouts (src/localnet/engine/appLayouts.ts) are
 * checked against these by decoding its bytes in the tests.
 */
import { bcs } from "@mysten/sui/bcs"

export const Proof = bcs.struct("Proof", {
  status: bcs.u8(),
  da_hash: bcs.option(bcs.string()),
  sequence1: bcs.option(bcs.vector(bcs.u64())),
  sequence2: bcs.option(bcs.vector(bcs.u64())),
  rejected_count: bcs.u16(),
  timestamp: bcs.u64(),
  prover: bcs.Address,
  user: bcs.option(bcs.Address),
  job_id: bcs.option(bcs.string())
})

export const ProofCalculation = bcs.struct("ProofCalculation", {
  id: bcs.Address,
  block_number: bcs.u64(),
  start_sequence: bcs.u64(),
  end_sequence: bcs.option(bcs.u64()),
  proofs: bcs.struct("VecMap", {
    contents: bcs.vector(bcs.struct("Entry", { key: bcs.vector(bcs.u64()), value: Proof }))
  }),
  block_proof: bcs.option(bcs.string()),
  is_finished: bcs.bool()
})

export const ProofSubmittedEvent = bcs.struct("ProofSubmittedEvent", {
  block_number: bcs.u64(),
  sequences: bcs.vector(bcs.u64()),
  da_hash: bcs.string(),
  timestamp: bcs.u64(),
  prover: bcs.Address,
  cpu_time: bcs.u64(),
  cpu_cores: bcs.u8(),
  prover_memory: bcs.u64(),
  prover_architecture: bcs.string()
})

export const BlockProofEvent = bcs.struct("BlockProofEvent", {
  block_number: bcs.u64(),
  start_sequence: bcs.u64(),
  end_sequence: bcs.u64(),
  da_hash: bcs.string(),
  timestamp: bcs.u64()
})

export const KVSetEvent = bcs.struct("KVSetEvent", { app_instance_address: bcs.Address, key: bcs.string(), value: bcs.string() })
export const KVDeletedEvent = bcs.struct("KVDeletedEvent", { app_instance_address: bcs.Address, key: bcs.string() })
export const MetadataAddedEvent = bcs.struct("MetadataAddedEvent", { app_instance_address: bcs.Address, key: bcs.string(), value: bcs.string() })

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
    proofs: p.proofs.contents.map((e) => ({
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
