/**
 * Move layouts (declaration order) of the objects the localnet stores, taken from the public
 * Silvana `coordination` package and the Sui framework. Two documented reductions inside the
 * AppInstance: `state: commitment::state::AppState` is kept as `{ id, sequence }` (its commitment
 * internals are not modelled) and the blocks / proof calculation tables start empty. The fields
 * the coordinator reads (`jobs`, `methods`, `settlements`) are exact.
 */
import { ProofCalculationLayout } from "./appLayouts.js"
import { objectTable, opt, struct, vec, vecMap, vecSet, type MoveLayout } from "./moveValue.js"

export const AppMethodLayout = struct("AppMethod", [
  ["description", opt("string")],
  ["developer", "string"],
  ["agent", "string"],
  ["agent_method", "string"]
])

export const AgentMethodLayout = struct("AgentMethod", [
  ["docker_image", "string"],
  ["docker_sha256", opt("string")],
  ["min_memory_gb", "u16"],
  ["min_cpu_cores", "u16"],
  ["requires_tee", "bool"]
])

export const JobStatusLayout: MoveLayout = {
  enum: "JobStatus",
  variants: [
    ["Pending", []],
    ["Running", []],
    ["Failed", [["pos0", "string"]]]
  ]
}

const optU64Vec = opt(vec("u64"))

export const JobLayout = struct("Job", [
  ["id", "uid"],
  ["job_sequence", "u64"],
  ["description", opt("string")],
  ["developer", "string"],
  ["agent", "string"],
  ["agent_method", "string"],
  ["app", "string"],
  ["app_instance", "string"],
  ["app_instance_method", "string"],
  ["block_number", opt("u64")],
  ["sequences", optU64Vec],
  ["sequences1", optU64Vec],
  ["sequences2", optU64Vec],
  ["data", "bytes"],
  ["status", JobStatusLayout],
  ["attempts", "u8"],
  ["interval_ms", opt("u64")],
  ["next_scheduled_at", opt("u64")],
  ["created_at", "u64"],
  ["updated_at", "u64"]
])

export const SettlementLayout = struct("Settlement", [
  ["chain", "string"],
  ["last_settled_block_number", "u64"],
  ["settlement_address", opt("string")],
  ["block_settlements", objectTable],
  ["settlement_job", opt("u64")]
])

export const JobsLayout = struct("Jobs", [
  ["id", "uid"],
  ["jobs", objectTable],
  ["failed_jobs_count", "u64"],
  ["failed_jobs_index", vecSet("u64")],
  ["pending_jobs", vecSet("u64")],
  ["pending_jobs_count", "u64"],
  ["pending_jobs_indexes", vecMap("string", vecMap("string", vecMap("string", vecSet("u64"))))],
  ["next_job_sequence", "u64"],
  ["max_attempts", "u8"]
])

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

export const AppInstanceCapLayout = struct("AppInstanceCap", [["id", "uid"], ["instance_address", "address"]])

export const RegistryLayout = struct("SilvanaRegistry", [
  ["id", "uid"],
  ["name", "string"],
  ["version", "u32"],
  ["admin", "address"],
  ["developers", objectTable],
  ["developers_index", objectTable],
  ["apps", objectTable],
  ["apps_index", objectTable]
])

export const DeveloperLayout = struct("Developer", [
  ["id", "uid"],
  ["name", "string"],
  ["github", "string"],
  ["image", opt("string")],
  ["description", opt("string")],
  ["site", opt("string")],
  ["agents", objectTable],
  ["owner", "address"],
  ["created_at", "u64"],
  ["updated_at", "u64"],
  ["version", "u64"]
])

export const DeveloperNamesLayout = struct("DeveloperNames", [
  ["id", "uid"],
  ["developer", "address"],
  ["names", vec("string")],
  ["version", "u64"]
])

export const AgentLayout = struct("Agent", [
  ["id", "uid"],
  ["name", "string"],
  ["image", opt("string")],
  ["description", opt("string")],
  ["site", opt("string")],
  ["chains", vec("string")],
  ["methods", vecMap("string", AgentMethodLayout)],
  ["default_method", opt(AgentMethodLayout)],
  ["created_at", "u64"],
  ["updated_at", "u64"],
  ["version", "u64"]
])

export const SilvanaAppLayout = struct("SilvanaApp", [
  ["id", "uid"],
  ["name", "string"],
  ["description", opt("string")],
  ["methods", vecMap("string", AppMethodLayout)],
  ["owner", "address"],
  ["created_at", "u64"],
  ["updated_at", "u64"],
  ["version", "u64"],
  ["instances", vecSet("address")]
])

export const AppNamesLayout = struct("AppNames", [
  ["id", "uid"],
  ["app_owner", "address"],
  ["names", vec("string")],
  ["version", "u64"]
])

export const CoinLayout = struct("Coin", [["id", "uid"], ["balance", "u64"]])
export const ClockLayout = struct("Clock", [["id", "uid"], ["timestamp_ms", "u64"]])

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

export const OperationFailedEventLayout = struct("OperationFailedEvent", [
  ["operation", "string"],
  ["entity_type", "string"],
  ["entity_id", "u64"],
  ["reason", "string"],
  ["caller", "address"],
  ["timestamp", "u64"],
  ["additional_data", opt("bytes")]
])

export const jobsEventLayouts: Record<string, MoveLayout> = {
  JobCreatedEvent: struct("JobCreatedEvent", [
    ["job_sequence", "u64"],
    ["description", opt("string")],
    ["developer", "string"],
    ["agent", "string"],
    ["agent_method", "string"],
    ["app", "string"],
    ["app_instance", "string"],
    ["app_instance_method", "string"],
    ["block_number", opt("u64")],
    ["sequences", optU64Vec],
    ["sequences1", optU64Vec],
    ["sequences2", optU64Vec],
    ["data", "bytes"],
    ["status", JobStatusLayout],
    ["created_at", "u64"]
  ]),
  JobUpdatedEvent: struct("JobUpdatedEvent", [
    ["job_sequence", "u64"],
    ["developer", "string"],
    ["agent", "string"],
    ["agent_method", "string"],
    ["app_instance", "string"],
    ["status", JobStatusLayout],
    ["attempts", "u8"],
    ["updated_at", "u64"]
  ]),
  JobStartedEvent: struct("JobStartedEvent", [
    ["job_sequence", "u64"],
    ["app_instance", "string"],
    ["coordinator", "address"],
    ["started_at", "u64"]
  ]),
  JobCompletedEvent: struct("JobCompletedEvent", [
    ["job_sequence", "u64"],
    ["app_instance", "string"],
    ["coordinator", "address"],
    ["completed_at", "u64"]
  ]),
  JobFailedEvent: struct("JobFailedEvent", [
    ["job_sequence", "u64"],
    ["app_instance", "string"],
    ["coordinator", "address"],
    ["error", "string"],
    ["attempts", "u8"],
    ["failed_at", "u64"]
  ]),
  JobTerminatedEvent: struct("JobTerminatedEvent", [
    ["job_sequence", "u64"],
    ["app_instance", "string"],
    ["coordinator", "address"],
    ["terminated_at", "u64"]
  ]),
  JobDeletedEvent: struct("JobDeletedEvent", [
    ["job_sequence", "u64"],
    ["app_instance", "string"],
    ["deleted_at", "u64"]
  ]),
  JobRescheduledEvent: struct("JobRescheduledEvent", [
    ["job_sequence", "u64"],
    ["app_instance", "string"],
    ["next_scheduled_at", "u64"],
    ["rescheduled_at", "u64"]
  ]),
  MulticallExecutedEvent: struct("MulticallExecutedEvent", [
    ["coordinator", "address"],
    ["complete_jobs", vec("u64")],
    ["complete_results", vec("bool")],
    ["fail_jobs", vec("u64")],
    ["fail_results", vec("bool")],
    ["terminate_jobs", vec("u64")],
    ["terminate_results", vec("bool")],
    ["start_jobs", vec("u64")],
    ["start_results", vec("bool")],
    ["timestamp", "u64"]
  ])
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
  "Field<u64>": dofFieldLayout("u64"),
  "Field<string>": dofFieldLayout("string"),
  "Field<address>": dofFieldLayout("address")
}
