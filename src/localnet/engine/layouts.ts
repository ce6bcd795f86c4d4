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
import { struct, type MoveLayout } from "./moveValue.js"

// The coordination package's structs are defined once, in chain/moveTypes.ts.
export {
  AgentLayout,
  AgentMethodLayout,
  AppInstanceCapLayout,
  AppInstanceLayout,
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
