/**
 * BCS layouts of the coordination package's Move structs that the coordinator reads: the events
 * of module `jobs`, the `Job` object and the registry's `AgentMethod`. Field order is declaration
 * order (see the chain spec); these schemas are shared by the coordinator and the localnet so that
 * both sides encode exactly the same bytes.
 */
import { bcs } from "@mysten/sui/bcs"

/** `jobs::JobStatus` — `Pending` (0), `Running` (1), `Failed(String)` (2). */
export const JobStatus = bcs.enum("JobStatus", {
  Pending: null,
  Running: null,
  Failed: bcs.string()
})

const optU64Vec = bcs.option(bcs.vector(bcs.u64()))

export const JobCreatedEvent = bcs.struct("JobCreatedEvent", {
  job_sequence: bcs.u64(),
  description: bcs.option(bcs.string()),
  developer: bcs.string(),
  agent: bcs.string(),
  agent_method: bcs.string(),
  app: bcs.string(),
  app_instance: bcs.string(),
  app_instance_method: bcs.string(),
  block_number: bcs.option(bcs.u64()),
  sequences: optU64Vec,
  sequences1: optU64Vec,
  sequences2: optU64Vec,
  data: bcs.vector(bcs.u8()),
  status: JobStatus,
  created_at: bcs.u64()
})

export const JobUpdatedEvent = bcs.struct("JobUpdatedEvent", {
  job_sequence: bcs.u64(),
  developer: bcs.string(),
  agent: bcs.string(),
  agent_method: bcs.string(),
  app_instance: bcs.string(),
  status: JobStatus,
  attempts: bcs.u8(),
  updated_at: bcs.u64()
})

export const JobStartedEvent = bcs.struct("JobStartedEvent", {
  job_sequence: bcs.u64(),
  app_instance: bcs.string(),
  coordinator: bcs.Address,
  started_at: bcs.u64()
})

export const JobCompletedEvent = bcs.struct("JobCompletedEvent", {
  job_sequence: bcs.u64(),
  app_instance: bcs.string(),
  coordinator: bcs.Address,
  completed_at: bcs.u64()
})

export const JobFailedEvent = bcs.struct("JobFailedEvent", {
  job_sequence: bcs.u64(),
  app_instance: bcs.string(),
  coordinator: bcs.Address,
  error: bcs.string(),
  attempts: bcs.u8(),
  failed_at: bcs.u64()
})

export const JobTerminatedEvent = bcs.struct("JobTerminatedEvent", {
  job_sequence: bcs.u64(),
  app_instance: bcs.string(),
  coordinator: bcs.Address,
  terminated_at: bcs.u64()
})

export const JobDeletedEvent = bcs.struct("JobDeletedEvent", {
  job_sequence: bcs.u64(),
  app_instance: bcs.string(),
  deleted_at: bcs.u64()
})

export const JobRescheduledEvent = bcs.struct("JobRescheduledEvent", {
  job_sequence: bcs.u64(),
  app_instance: bcs.string(),
  next_scheduled_at: bcs.u64(),
  rescheduled_at: bcs.u64()
})

export const MulticallExecutedEvent = bcs.struct("MulticallExecutedEvent", {
  coordinator: bcs.Address,
  complete_jobs: bcs.vector(bcs.u64()),
  complete_results: bcs.vector(bcs.bool()),
  fail_jobs: bcs.vector(bcs.u64()),
  fail_results: bcs.vector(bcs.bool()),
  terminate_jobs: bcs.vector(bcs.u64()),
  terminate_results: bcs.vector(bcs.bool()),
  start_jobs: bcs.vector(bcs.u64()),
  start_results: bcs.vector(bcs.bool()),
  timestamp: bcs.u64()
})

/** The event layouts by their struct name, as they appear in `<package>::jobs::<Name>`. */
export const jobsEvents = {
  JobCreatedEvent,
  JobUpdatedEvent,
  JobStartedEvent,
  JobCompletedEvent,
  JobFailedEvent,
  JobTerminatedEvent,
  JobDeletedEvent,
  JobRescheduledEvent,
  MulticallExecutedEvent
} as const

export type JobsEventName = keyof typeof jobsEvents

/** `jobs::Job`, stored as a dynamic object field of the AppInstance's `jobs.jobs` ObjectTable. */
export const Job = bcs.struct("Job", {
  id: bcs.Address,
  job_sequence: bcs.u64(),
  description: bcs.option(bcs.string()),
  developer: bcs.string(),
  agent: bcs.string(),
  agent_method: bcs.string(),
  app: bcs.string(),
  app_instance: bcs.string(),
  app_instance_method: bcs.string(),
  block_number: bcs.option(bcs.u64()),
  sequences: optU64Vec,
  sequences1: optU64Vec,
  sequences2: optU64Vec,
  data: bcs.vector(bcs.u8()),
  status: JobStatus,
  attempts: bcs.u8(),
  interval_ms: bcs.option(bcs.u64()),
  next_scheduled_at: bcs.option(bcs.u64()),
  created_at: bcs.u64(),
  updated_at: bcs.u64()
})

/** `registry::AgentMethod` — which image serves a method and what it needs. */
export const AgentMethod = bcs.struct("AgentMethod", {
  docker_image: bcs.string(),
  docker_sha256: bcs.option(bcs.string()),
  min_memory_gb: bcs.u16(),
  min_cpu_cores: bcs.u16(),
  requires_tee: bcs.bool()
})

/** `multicall::OperationFailedEvent` — emitted when a job operation answers `false` (e.g. a lost start race). */
export const OperationFailedEvent = bcs.struct("OperationFailedEvent", {
  operation: bcs.string(),
  entity_type: bcs.string(),
  entity_id: bcs.u64(),
  reason: bcs.string(),
  caller: bcs.Address,
  timestamp: bcs.u64(),
  additional_data: bcs.option(bcs.vector(bcs.u8()))
})

/** `app_method::AppMethod` — the triple an app instance method maps to. */
export const AppMethod = bcs.struct("AppMethod", {
  description: bcs.option(bcs.string()),
  developer: bcs.string(),
  agent: bcs.string(),
  agent_method: bcs.string()
})

/** `agent::Agent` — a registry entry (dynamic object field of `Developer.agents`). */
export const Agent = bcs.struct("Agent", {
  id: bcs.Address,
  name: bcs.string(),
  image: bcs.option(bcs.string()),
  description: bcs.option(bcs.string()),
  site: bcs.option(bcs.string()),
  chains: bcs.vector(bcs.string()),
  methods: bcs.struct("VecMap<String,AgentMethod>", {
    contents: bcs.vector(bcs.struct("Entry<String,AgentMethod>", { key: bcs.string(), value: AgentMethod }))
  }),
  default_method: bcs.option(AgentMethod),
  created_at: bcs.u64(),
  updated_at: bcs.u64(),
  version: bcs.u64()
})
