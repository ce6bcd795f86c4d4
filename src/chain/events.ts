/**
 * The coordination events as Schema types, decoded from their BCS contents (never from a node's
 * JSON). Event type strings are `<package>::jobs::<Name>`; only the configured package counts.
 */
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { Option, Schema } from "effect"
import { jobsEvents, type JobsEventName } from "./moveTypes.js"

/** `jobs::JobStatus`. */
export const JobStatus = Schema.Union(
  Schema.TaggedStruct("Pending", {}),
  Schema.TaggedStruct("Running", {}),
  Schema.TaggedStruct("Failed", { error: Schema.String })
)
export type JobStatus = typeof JobStatus.Type

const u64 = Schema.BigIntFromSelf
const u64s = Schema.Array(Schema.BigIntFromSelf)
const bools = Schema.Array(Schema.Boolean)
const opt = <S extends Schema.Schema.Any>(s: S) => Schema.OptionFromSelf(s)

export const JobCreatedEvent = Schema.TaggedStruct("JobCreatedEvent", {
  jobSequence: u64,
  description: opt(Schema.String),
  developer: Schema.String,
  agent: Schema.String,
  agentMethod: Schema.String,
  app: Schema.String,
  appInstance: Schema.String,
  appInstanceMethod: Schema.String,
  blockNumber: opt(u64),
  sequences: opt(u64s),
  sequences1: opt(u64s),
  sequences2: opt(u64s),
  data: Schema.Uint8ArrayFromSelf,
  status: JobStatus,
  createdAt: u64
})
export const JobUpdatedEvent = Schema.TaggedStruct("JobUpdatedEvent", {
  jobSequence: u64,
  developer: Schema.String,
  agent: Schema.String,
  agentMethod: Schema.String,
  appInstance: Schema.String,
  status: JobStatus,
  attempts: Schema.Number,
  updatedAt: u64
})
export const JobStartedEvent = Schema.TaggedStruct("JobStartedEvent", {
  jobSequence: u64,
  appInstance: Schema.String,
  coordinator: Schema.String,
  startedAt: u64
})
export const JobCompletedEvent = Schema.TaggedStruct("JobCompletedEvent", {
  jobSequence: u64,
  appInstance: Schema.String,
  coordinator: Schema.String,
  completedAt: u64
})
export const JobFailedEvent = Schema.TaggedStruct("JobFailedEvent", {
  jobSequence: u64,
  appInstance: Schema.String,
  coordinator: Schema.String,
  error: Schema.String,
  attempts: Schema.Number,
  failedAt: u64
})
export const JobTerminatedEvent = Schema.TaggedStruct("JobTerminatedEvent", {
  jobSequence: u64,
  appInstance: Schema.String,
  coordinator: Schema.String,
  terminatedAt: u64
})
export const JobDeletedEvent = Schema.TaggedStruct("JobDeletedEvent", {
  jobSequence: u64,
  appInstance: Schema.String,
  deletedAt: u64
})
export const JobRescheduledEvent = Schema.TaggedStruct("JobRescheduledEvent", {
  jobSequence: u64,
  appInstance: Schema.String,
  nextScheduledAt: u64,
  rescheduledAt: u64
})
export const MulticallExecutedEvent = Schema.TaggedStruct("MulticallExecutedEvent", {
  coordinator: Schema.String,
  completeJobs: u64s,
  completeResults: bools,
  failJobs: u64s,
  failResults: bools,
  terminateJobs: u64s,
  terminateResults: bools,
  startJobs: u64s,
  startResults: bools,
  timestamp: u64
})

/** Any coordination event. */
export const CoordinationEvent = Schema.Union(
  JobCreatedEvent,
  JobUpdatedEvent,
  JobStartedEvent,
  JobCompletedEvent,
  JobFailedEvent,
  JobTerminatedEvent,
  JobDeletedEvent,
  JobRescheduledEvent,
  MulticallExecutedEvent
)
export type CoordinationEvent = typeof CoordinationEvent.Type
export type JobCreatedEvent = typeof JobCreatedEvent.Type
export type MulticallExecutedEvent = typeof MulticallExecutedEvent.Type

type Raw = Record<string, unknown>
const big = (v: unknown): bigint => BigInt(v as string | number | bigint)
const optOf = <A>(v: unknown, f: (x: unknown) => A): Option.Option<A> =>
  v === null || v === undefined ? Option.none() : Option.some(f(v))
const bigs = (v: unknown): bigint[] => (v as unknown[]).map(big)
const status = (v: unknown): JobStatus => {
  const s = v as Raw & { $kind?: string }
  if ("Failed" in s && s.Failed !== undefined && s.Failed !== null && s.$kind === "Failed") return { _tag: "Failed", error: String(s.Failed) }
  if (s.$kind === "Running") return { _tag: "Running" }
  if (s.$kind === "Pending") return { _tag: "Pending" }
  throw new Error(`unknown JobStatus ${JSON.stringify(s)}`)
}

const decoders: { readonly [K in JobsEventName]: (r: Raw) => unknown } = {
  JobCreatedEvent: (r) => ({
    _tag: "JobCreatedEvent",
    jobSequence: big(r.job_sequence),
    description: optOf(r.description, String),
    developer: r.developer,
    agent: r.agent,
    agentMethod: r.agent_method,
    app: r.app,
    appInstance: r.app_instance,
    appInstanceMethod: r.app_instance_method,
    blockNumber: optOf(r.block_number, big),
    sequences: optOf(r.sequences, bigs),
    sequences1: optOf(r.sequences1, bigs),
    sequences2: optOf(r.sequences2, bigs),
    data: Uint8Array.from(r.data as number[]),
    status: status(r.status),
    createdAt: big(r.created_at)
  }),
  JobUpdatedEvent: (r) => ({
    _tag: "JobUpdatedEvent",
    jobSequence: big(r.job_sequence),
    developer: r.developer,
    agent: r.agent,
    agentMethod: r.agent_method,
    appInstance: r.app_instance,
    status: status(r.status),
    attempts: Number(r.attempts),
    updatedAt: big(r.updated_at)
  }),
  JobStartedEvent: (r) => ({
    _tag: "JobStartedEvent",
    jobSequence: big(r.job_sequence),
    appInstance: r.app_instance,
    coordinator: normalizeSuiAddress(String(r.coordinator)),
    startedAt: big(r.started_at)
  }),
  JobCompletedEvent: (r) => ({
    _tag: "JobCompletedEvent",
    jobSequence: big(r.job_sequence),
    appInstance: r.app_instance,
    coordinator: normalizeSuiAddress(String(r.coordinator)),
    completedAt: big(r.completed_at)
  }),
  JobFailedEvent: (r) => ({
    _tag: "JobFailedEvent",
    jobSequence: big(r.job_sequence),
    appInstance: r.app_instance,
    coordinator: normalizeSuiAddress(String(r.coordinator)),
    error: r.error,
    attempts: Number(r.attempts),
    failedAt: big(r.failed_at)
  }),
  JobTerminatedEvent: (r) => ({
    _tag: "JobTerminatedEvent",
    jobSequence: big(r.job_sequence),
    appInstance: r.app_instance,
    coordinator: normalizeSuiAddress(String(r.coordinator)),
    terminatedAt: big(r.terminated_at)
  }),
  JobDeletedEvent: (r) => ({
    _tag: "JobDeletedEvent",
    jobSequence: big(r.job_sequence),
    appInstance: r.app_instance,
    deletedAt: big(r.deleted_at)
  }),
  JobRescheduledEvent: (r) => ({
    _tag: "JobRescheduledEvent",
    jobSequence: big(r.job_sequence),
    appInstance: r.app_instance,
    nextScheduledAt: big(r.next_scheduled_at),
    rescheduledAt: big(r.rescheduled_at)
  }),
  MulticallExecutedEvent: (r) => ({
    _tag: "MulticallExecutedEvent",
    coordinator: normalizeSuiAddress(String(r.coordinator)),
    completeJobs: bigs(r.complete_jobs),
    completeResults: r.complete_results,
    failJobs: bigs(r.fail_jobs),
    failResults: r.fail_results,
    terminateJobs: bigs(r.terminate_jobs),
    terminateResults: r.terminate_results,
    startJobs: bigs(r.start_jobs),
    startResults: r.start_results,
    timestamp: big(r.timestamp)
  })
}

/**
 * If `eventType` is `<packageId>::jobs::<Name>` for a known event, its name; else undefined.
 * `packageId` must be normalised (`0x` + 64 hex).
 */
export const coordinationEventName = (eventType: string, packageId: string): JobsEventName | undefined => {
  const parts = eventType.split("::")
  if (parts.length !== 3 || parts[1] !== "jobs") return undefined
  const name = parts[2]!
  if (!(name in jobsEvents)) return undefined
  if (parts[0] !== packageId && normalizeSuiAddress(parts[0]!) !== packageId) return undefined
  return name as JobsEventName
}

/** Decodes one event's BCS bytes by its struct name. Throws on malformed bytes. */
export const decodeCoordinationEvent = (name: JobsEventName, bytes: Uint8Array): CoordinationEvent =>
  decoders[name](jobsEvents[name].parse(bytes) as Raw) as CoordinationEvent
