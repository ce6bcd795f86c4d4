/**
 * Move layouts (declaration order) of the objects the localnet stores, taken from the public
 * Silvana `coordination` package and the Sui framework. Two documented reductions inside the
 * AppInstance: `state: commitment::state::AppState` is kept as `{ id, sequence }` (its commitment
 * internals are not modelled) and the blocks / proof calculation tables start empty. The fields
 * the coordinator reads (`jobs`, `methods`, `settlements`) are exact.
 */
import {
  AgentLayout,
  AppInstanceCapLayout,
  AppMethodLayout,
  AppNamesLayout,
  CoinLayout,
  DeveloperLayout,
  DeveloperNamesLayout,
  JobLayout,
  JobsLayout,
  RegistryLayout,
  SettlementLayout,
  SilvanaAppLayout
} from "../../chain/moveTypes.js"
import { BlockLayout, BlockSettlementLayout, ProofCalculationLayout, SequenceStateLayout } from "./appLayouts.js"
import { objectTable, opt, struct, vecMap, type MoveLayout } from "./moveValue.js"

// The coordination package's structs are defined once, in chain/moveTypes.ts.
export {
  AgentLayout,
  AgentMethodLayout,
  AppInstanceCapLayout,
  AppMethodLayout,
  AppNamesLayout,
  ClockLayout,
  CoinLayout,
  DeveloperLayout,
  DeveloperNamesLayout,
  JobLayout,
  JobsLayout,
  jobsEventLayouts,
  jobsRestartEventLayouts,
  JobStatusLayout,
  OperationFailedEventLayout,
  RegistryLayout,
  SettlementLayout,
  SilvanaAppLayout
} from "../../chain/moveTypes.js"

export const AppInstanceLayout = struct("AppInstance", [
  ["id", "uid"],
  ["silvana_app_name", "string"],
  ["description", opt("string")],
  ["metadata", vecMap("string", "string")],
  ["kv", vecMap("string", "string")],
  ["methods", vecMap("string", AppMethodLayout)],
  ["state", struct("AppState", [["id", "uid"], ["sequence", "u64"]])],
  ["blocks", objectTable],
  ["settlements", vecMap("string", SettlementLayout)],
  ["proof_calculations", objectTable],
  [
    "sequence_state_manager",
    struct("SequenceStateManager", [
      ["id", "uid"],
      ["sequence_states", objectTable],
      ["lowest_sequence", opt("u64")],
      ["highest_sequence", opt("u64")]
    ])
  ],
  ["jobs", JobsLayout],
  ["sequence", "u64"],
  ["admin", "address"],
  ["block_number", "u64"],
  ["previous_block_timestamp", "u64"],
  ["previous_block_last_sequence", "u64"],
  ["previous_block_actions_state", struct("Element", [["bytes", "bytes"]])],
  ["last_proved_block_number", "u64"],
  ["last_settled_block_number", "u64"],
  ["last_settled_sequence", "u64"],
  ["last_purged_sequence", "u64"],
  ["isPaused", "bool"],
  ["min_time_between_blocks", "u64"],
  ["created_at", "u64"],
  ["updated_at", "u64"]
])

const fieldLayouts = new Map<string, MoveLayout>()

/** `0x2::dynamic_field::Field<0x2::dynamic_object_field::Wrapper<K>, 0x2::object::ID>` (K primitive). */
export const dofFieldLayout = (key: MoveLayout): MoveLayout => {
  const k = JSON.stringify(key)
  let l = fieldLayouts.get(k)
  if (!l) {
    l = struct("Field", [
      ["id", "uid"],
      ["name", struct("Wrapper", [["name", key]])],
      ["value", "id"]
    ])
    fieldLayouts.set(k, l)
  }
  return l
}

/** Stored-object layouts by name, so snapshots can refer to them. */
export const namedLayouts: Record<string, MoveLayout> = {
  Job: JobLayout,
  Coin: CoinLayout,
  SilvanaRegistry: RegistryLayout,
  Developer: DeveloperLayout,
  DeveloperNames: DeveloperNamesLayout,
  Agent: AgentLayout,
  SilvanaApp: SilvanaAppLayout,
  AppNames: AppNamesLayout,
  AppInstanceCap: AppInstanceCapLayout,
  ProofCalculation: ProofCalculationLayout,
  Block: BlockLayout,
  SequenceState: SequenceStateLayout,
  BlockSettlement: BlockSettlementLayout,
  "Field<u64>": dofFieldLayout("u64"),
  "Field<string>": dofFieldLayout("string"),
  "Field<address>": dofFieldLayout("address")
}
