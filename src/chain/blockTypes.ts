/**
 * Layouts of the coordination package's blocks, sequence states and settlement records
 * (`block::Block`, `sequence_state::SequenceState`, `settlement::BlockSettlement`) and of the
 * events that change them, in declaration order as in the deployed Move. Written once here: the
 * localnet stores and emits with these layouts, the coordinator decodes with them.
 */
import { decodeMove, type MoveLayout, opt, struct, vec } from "./moveLayout.js"

/** `sui::group_ops::Element<Scalar>`: the 32 bytes of a BLS12-381 scalar. */
export const ElementLayout = struct("Element", [["bytes", "bytes"]])

export const BlockLayout = struct("Block", [
  ["id", "uid"],
  ["name", "string"],
  ["block_number", "u64"],
  ["start_sequence", "u64"],
  ["end_sequence", "u64"],
  ["actions_commitment", ElementLayout],
  ["state_commitment", ElementLayout],
  ["time_since_last_block", "u64"],
  ["number_of_transactions", "u64"],
  ["start_actions_commitment", ElementLayout],
  ["end_actions_commitment", ElementLayout],
  ["state_data_availability", opt("string")],
  ["proof_data_availability", opt("string")],
  ["created_at", "u64"],
  ["state_calculated_at", opt("u64")],
  ["proved_at", opt("u64")]
])

export const SequenceStateLayout = struct("SequenceState", [
  ["id", "uid"],
  ["sequence", "u64"],
  ["state", opt("bytes")],
  ["data_availability", opt("string")],
  ["optimistic_state", "bytes"],
  ["transition_data", "bytes"]
])

export const BlockSettlementLayout = struct("BlockSettlement", [
  ["id", "uid"],
  ["block_number", "u64"],
  ["settlement_tx_hash", opt("string")],
  ["settlement_tx_included_in_block", "bool"],
  ["sent_to_settlement_at", opt("u64")],
  ["settled_at", opt("u64")]
])

const appAddress = ["app_instance_address", "address"] as const

/** Events of module `app_instance` about blocks. */
export const blockEventLayouts = {
  BlockCreatedEvent: struct("BlockCreatedEvent", [appAddress, ["block_number", "u64"], ["start_sequence", "u64"], ["end_sequence", "u64"], ["timestamp", "u64"]]),
  NoNewSequencesEvent: struct("NoNewSequencesEvent", [appAddress, ["current_sequence", "u64"], ["previous_block_last_sequence", "u64"], ["timestamp", "u64"]]),
  InsufficientTimeForBlockEvent: struct("InsufficientTimeForBlockEvent", [
    appAddress, ["current_time", "u64"], ["previous_block_timestamp", "u64"], ["time_since_last_block", "u64"], ["min_time_required", "u64"]
  ]),
  BlockPurgedEvent: struct("BlockPurgedEvent", [appAddress, ["block_number", "u64"], ["reason", "string"]]),
  BlockCleanupEvent: struct("BlockCleanupEvent", [
    appAddress, ["previous_last_settled", "u64"], ["new_min_settled", "u64"], ["start_block", "u64"], ["settlements_count", "u64"]
  ])
} as const satisfies Record<string, MoveLayout>

/** Events of module `block`. */
export const blockModuleEventLayouts = {
  BlockEvent: struct("BlockEvent", [
    ["address", "address"], ["name", "string"], ["block_number", "u64"], ["start_sequence", "u64"], ["end_sequence", "u64"],
    ["created_at", "u64"], ["time_since_last_block", "u64"], ["number_of_transactions", "u64"],
    ["start_actions_commitment", ElementLayout], ["end_actions_commitment", ElementLayout], ["state_commitment", ElementLayout]
  ]),
  DataAvailabilityEvent: struct("DataAvailabilityEvent", [
    ["block_number", "u64"], ["state_data_availability", opt("string")], ["proof_data_availability", opt("string")],
    ["state_calculated_at", opt("u64")], ["proof_calculated_at", opt("u64")]
  ])
} as const satisfies Record<string, MoveLayout>

const manager = ["manager_address", "address"] as const

/** Events of module `sequence_state`. */
export const sequenceStateEventLayouts = {
  SequenceStateAddedEvent: struct("SequenceStateAddedEvent", [
    manager, ["sequence", "u64"], ["state_data", opt("bytes")], ["data_availability_hash", opt("string")],
    ["optimistic_state", "bytes"], ["transition_data", "bytes"], ["timestamp", "u64"]
  ]),
  SequenceStateUpdatedEvent: struct("SequenceStateUpdatedEvent", [
    manager, ["sequence", "u64"], ["new_state_data", opt("bytes")], ["new_data_availability_hash", opt("string")], ["timestamp", "u64"]
  ]),
  SequenceStatesPurgedEvent: struct("SequenceStatesPurgedEvent", [
    manager, ["old_lowest_sequence", "u64"], ["new_lowest_sequence", "u64"], ["sequences_purged", "u64"], ["timestamp", "u64"]
  ])
} as const satisfies Record<string, MoveLayout>

const chainField = ["chain", "string"] as const

/** Events of module `settlement`. */
export const settlementEventLayouts = {
  SettlementCreatedEvent: struct("SettlementCreatedEvent", [chainField, ["settlement_address", opt("string")]]),
  BlockSettlementTransactionEvent: struct("BlockSettlementTransactionEvent", [
    chainField, ["block_number", "u64"], ["settlement_tx_hash", opt("string")], ["settlement_tx_included_in_block", "bool"],
    ["sent_to_settlement_at", opt("u64")], ["settled_at", opt("u64")]
  ]),
  BlockSettledEvent: struct("BlockSettledEvent", [
    chainField, ["block_number", "u64"], ["settlement_tx_hash", opt("string")], ["sent_to_settlement_at", opt("u64")], ["settled_at", opt("u64")]
  ]),
  BlockSettlementPurgedEvent: struct("BlockSettlementPurgedEvent", [chainField, ["block_number", "u64"], ["reason", "string"]])
} as const satisfies Record<string, MoveLayout>

export interface DecodedBlock {
  readonly id: string
  readonly name: string
  readonly blockNumber: bigint
  readonly startSequence: bigint
  readonly endSequence: bigint
  readonly actionsCommitment: Uint8Array
  readonly stateCommitment: Uint8Array
  readonly timeSinceLastBlock: bigint
  readonly numberOfTransactions: bigint
  readonly startActionsCommitment: Uint8Array
  readonly endActionsCommitment: Uint8Array
  readonly stateDataAvailability: string | null
  readonly proofDataAvailability: string | null
  readonly createdAt: bigint
  readonly stateCalculatedAt: bigint | null
  readonly provedAt: bigint | null
}

export interface DecodedSequenceState {
  readonly sequence: bigint
  readonly state: Uint8Array | null
  readonly dataAvailability: string | null
  readonly optimisticState: Uint8Array
  readonly transitionData: Uint8Array
}

export interface DecodedBlockSettlement {
  readonly blockNumber: bigint
  readonly settlementTxHash: string | null
  readonly settlementTxIncludedInBlock: boolean
  readonly sentToSettlementAt: bigint | null
  readonly settledAt: bigint | null
}

export const decodeBlock = (bytes: Uint8Array): DecodedBlock => {
  const b = decodeMove(BlockLayout, bytes)
  return {
    id: b.id,
    name: b.name,
    blockNumber: b.block_number,
    startSequence: b.start_sequence,
    endSequence: b.end_sequence,
    actionsCommitment: b.actions_commitment.bytes,
    stateCommitment: b.state_commitment.bytes,
    timeSinceLastBlock: b.time_since_last_block,
    numberOfTransactions: b.number_of_transactions,
    startActionsCommitment: b.start_actions_commitment.bytes,
    endActionsCommitment: b.end_actions_commitment.bytes,
    stateDataAvailability: b.state_data_availability,
    proofDataAvailability: b.proof_data_availability,
    createdAt: b.created_at,
    stateCalculatedAt: b.state_calculated_at,
    provedAt: b.proved_at
  }
}

export const decodeSequenceState = (bytes: Uint8Array): DecodedSequenceState => {
  const s = decodeMove(SequenceStateLayout, bytes)
  return {
    sequence: s.sequence,
    state: s.state,
    dataAvailability: s.data_availability,
    optimisticState: s.optimistic_state,
    transitionData: s.transition_data
  }
}

export const decodeBlockSettlement = (bytes: Uint8Array): DecodedBlockSettlement => {
  const s = decodeMove(BlockSettlementLayout, bytes)
  return {
    blockNumber: s.block_number,
    settlementTxHash: s.settlement_tx_hash,
    settlementTxIncludedInBlock: s.settlement_tx_included_in_block,
    sentToSettlementAt: s.sent_to_settlement_at,
    settledAt: s.settled_at
  }
}
