/**
 * The layouts of the coordination package's Move structs (and the few framework ones the
 * localnet stores), each written once, in declaration order (see the chain spec). Everything else
 * is derived from these: the BCS codecs below, the domain Schemas in chain/events.ts and
 * chain/objects.ts, and the localnet's objects and events (localnet/engine/layouts.ts), so that
 * the coordinator and the localnet encode exactly the same bytes.
 *
 * New structs go here as a layout, plus a Schema with `moveSchema(layout, domain)` where the
 * coordinator reads them.
 */
import { bcsSchema, type MoveLayout, objectTable, opt, struct, vec, vecMap, vecSet } from "./moveLayout.js"

// ---- registry ------------------------------------------------------------------------------

/** `app_method::AppMethod` — the triple an app instance method maps to. */
export const AppMethodLayout = struct("AppMethod", [
  ["description", opt("string")],
  ["developer", "string"],
  ["agent", "string"],
  ["agent_method", "string"]
])

/** `registry::AgentMethod` — which image serves a method and what it needs. */
export const AgentMethodLayout = struct("AgentMethod", [
  ["docker_image", "string"],
  ["docker_sha256", opt("string")],
  ["min_memory_gb", "u16"],
  ["min_cpu_cores", "u16"],
  ["requires_tee", "bool"]
])

/** `agent::Agent` — a registry entry (dynamic object field of `Developer.agents`). */
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

export const AppInstanceCapLayout = struct("AppInstanceCap", [["id", "uid"], ["instance_address", "address"]])

// ---- jobs ----------------------------------------------------------------------------------

/** `jobs::JobStatus` — `Pending` (0), `Running` (1), `Failed(String)` (2). */
export const JobStatusLayout: MoveLayout = {
  enum: "JobStatus",
  variants: [
    ["Pending", []],
    ["Running", []],
    ["Failed", [["pos0", "string"]]]
  ]
}

const optU64Vec = opt(vec("u64"))

/** The fields `jobs::Job` and `JobCreatedEvent` share, in the order both declare them. */
const jobFields: ReadonlyArray<readonly [string, MoveLayout]> = [
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
  ["status", JobStatusLayout]
]

/** `jobs::Job`, stored as a dynamic object field of the AppInstance's `jobs.jobs` ObjectTable. */
export const JobLayout = struct("Job", [
  ["id", "uid"],
  ["job_sequence", "u64"],
  ...jobFields,
  ["attempts", "u8"],
  ["interval_ms", opt("u64")],
  ["next_scheduled_at", opt("u64")],
  ["created_at", "u64"],
  ["updated_at", "u64"]
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

/** `settlement::Settlement`, one per chain in the AppInstance's `settlements`. */
export const SettlementLayout = struct("Settlement", [
  ["chain", "string"],
  ["last_settled_block_number", "u64"],
  ["settlement_address", opt("string")],
  ["block_settlements", objectTable],
  ["settlement_job", opt("u64")]
])

/**
 * `app_instance::AppInstance`. The coordinator reads it as BCS (its `content`): a full node renders
 * the JSON of this object field by field on every read, and the coordinator reads it on every
 * pipeline pass and many agent calls.
 */
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

/** The events of module `jobs`, by struct name: the one list of their names. */
export const jobsEventLayouts = {
  JobCreatedEvent: struct("JobCreatedEvent", [
    ["job_sequence", "u64"],
    ...jobFields,
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
} as const satisfies Record<string, MoveLayout>

export type JobsEventName = keyof typeof jobsEventLayouts

/**
 * The events of `jobs::restart_failed_jobs`. Kept out of `jobsEventLayouts`: the coordinator does
 * not follow them (the `JobUpdatedEvent` they come with brings each job back as pending).
 */
export const jobsRestartEventLayouts = {
  JobRestartedEvent: struct("JobRestartedEvent", [
    ["job_sequence", "u64"],
    ["app_instance", "string"],
    ["started_at", "u64"]
  ]),
  JobsRestartedEvent: struct("JobsRestartedEvent", [
    ["failed_jobs", vec("u64")],
    ["num_failed_jobs", "u64"],
    ["restarted_at", "u64"]
  ])
} as const satisfies Record<string, MoveLayout>

/** `multicall::OperationFailedEvent` — emitted when a job operation answers `false` (e.g. a lost start race). */
export const OperationFailedEventLayout = struct("OperationFailedEvent", [
  ["operation", "string"],
  ["entity_type", "string"],
  ["entity_id", "u64"],
  ["reason", "string"],
  ["caller", "address"],
  ["timestamp", "u64"],
  ["additional_data", opt("bytes")]
])

// ---- framework -----------------------------------------------------------------------------

export const CoinLayout = struct("Coin", [["id", "uid"], ["balance", "u64"]])
export const ClockLayout = struct("Clock", [["id", "uid"], ["timestamp_ms", "u64"]])

// ---- BCS codecs, derived -------------------------------------------------------------------

export const JobStatus = bcsSchema(JobStatusLayout)
export const Job = bcsSchema(JobLayout)
export const AgentMethod = bcsSchema(AgentMethodLayout)
export const AppMethod = bcsSchema(AppMethodLayout)
export const Agent = bcsSchema(AgentLayout)
export const OperationFailedEvent = bcsSchema(OperationFailedEventLayout)
export const JobCreatedEvent = bcsSchema(jobsEventLayouts.JobCreatedEvent)
export const MulticallExecutedEvent = bcsSchema(jobsEventLayouts.MulticallExecutedEvent)

/** The BCS codecs of the `jobs` events by struct name, as they appear in `<package>::jobs::<Name>`. */
export const jobsEvents = Object.fromEntries(
  Object.entries(jobsEventLayouts).map(([name, layout]) => [name, bcsSchema(layout)])
) as { readonly [K in JobsEventName]: ReturnType<typeof bcsSchema> }
