/**
 * The coordination events as Schema types, decoded from their BCS contents (never from a node's
 * JSON). Event type strings are `<package>::jobs::<Name>`; only the configured package counts.
 */
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { Schema } from "effect"
import { AppInstanceIdFromString } from "../domain/ids.js"
import { moveSchema } from "./moveLayout.js"
import { JobLayout, jobsEventLayouts, type JobsEventName } from "./moveTypes.js"

/** `jobs::JobStatus`. */
export const JobStatus = Schema.Union(
  Schema.TaggedStruct("Pending", {}),
  Schema.TaggedStruct("Running", {}),
  Schema.TaggedStruct("Failed", { error: Schema.String })
)
export type JobStatus = typeof JobStatus.Type

/** `jobs::JobStatus` as Move has it (`Failed`'s message is positional) → `JobStatus`. */
export const JobStatusFromMove = Schema.transform(
  Schema.Union(
    Schema.TaggedStruct("Pending", {}),
    Schema.TaggedStruct("Running", {}),
    Schema.TaggedStruct("Failed", { pos0: Schema.String })
  ),
  Schema.typeSchema(JobStatus),
  {
    strict: true,
    decode: (s) => (s._tag === "Failed" ? { _tag: "Failed" as const, error: s.pos0 } : s),
    encode: (s) => (s._tag === "Failed" ? { _tag: "Failed" as const, pos0: s.error } : s)
  }
)

/** A Sui address, normalised (`0x` + 64 lowercase hex). */
const Address = Schema.transform(Schema.String, Schema.String, {
  strict: true,
  decode: (a) => normalizeSuiAddress(a),
  encode: (a) => a
})

const u64 = Schema.BigIntFromSelf
const u64s = Schema.Array(Schema.BigIntFromSelf)
const bools = Schema.Array(Schema.Boolean)
const opt = <S extends Schema.Schema.Any>(s: S) => Schema.OptionFromSelf(s)

/** The facts of a job that both `JobCreatedEvent` and the `Job` object carry, written once. */
export const JobFields = {
  jobSequence: u64,
  description: opt(Schema.String),
  developer: Schema.String,
  agent: Schema.String,
  agentMethod: Schema.String,
  app: Schema.String,
  appInstance: AppInstanceIdFromString,
  appInstanceMethod: Schema.String,
  blockNumber: opt(u64),
  sequences: opt(u64s),
  sequences1: opt(u64s),
  sequences2: opt(u64s),
  data: Schema.Uint8ArrayFromSelf
}

export const JobCreatedEvent = Schema.TaggedStruct("JobCreatedEvent", {
  ...JobFields,
  status: JobStatusFromMove,
  createdAt: u64
})
export const JobUpdatedEvent = Schema.TaggedStruct("JobUpdatedEvent", {
  jobSequence: u64,
  developer: Schema.String,
  agent: Schema.String,
  agentMethod: Schema.String,
  appInstance: AppInstanceIdFromString,
  status: JobStatusFromMove,
  attempts: Schema.Number,
  updatedAt: u64
})
export const JobStartedEvent = Schema.TaggedStruct("JobStartedEvent", {
  jobSequence: u64,
  appInstance: AppInstanceIdFromString,
  coordinator: Address,
  startedAt: u64
})
export const JobCompletedEvent = Schema.TaggedStruct("JobCompletedEvent", {
  jobSequence: u64,
  appInstance: AppInstanceIdFromString,
  coordinator: Address,
  completedAt: u64
})
export const JobFailedEvent = Schema.TaggedStruct("JobFailedEvent", {
  jobSequence: u64,
  appInstance: AppInstanceIdFromString,
  coordinator: Address,
  error: Schema.String,
  attempts: Schema.Number,
  failedAt: u64
})
export const JobTerminatedEvent = Schema.TaggedStruct("JobTerminatedEvent", {
  jobSequence: u64,
  appInstance: AppInstanceIdFromString,
  coordinator: Address,
  terminatedAt: u64
})
export const JobDeletedEvent = Schema.TaggedStruct("JobDeletedEvent", {
  jobSequence: u64,
  appInstance: AppInstanceIdFromString,
  deletedAt: u64
})
export const JobRescheduledEvent = Schema.TaggedStruct("JobRescheduledEvent", {
  jobSequence: u64,
  appInstance: AppInstanceIdFromString,
  nextScheduledAt: u64,
  rescheduledAt: u64
})
export const MulticallExecutedEvent = Schema.TaggedStruct("MulticallExecutedEvent", {
  coordinator: Address,
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
export type JobFailedEvent = typeof JobFailedEvent.Type

/** Each event's Schema from its BCS bytes, by struct name. */
const fromBcs = {
  JobCreatedEvent: moveSchema(jobsEventLayouts.JobCreatedEvent, JobCreatedEvent),
  JobUpdatedEvent: moveSchema(jobsEventLayouts.JobUpdatedEvent, JobUpdatedEvent),
  JobStartedEvent: moveSchema(jobsEventLayouts.JobStartedEvent, JobStartedEvent),
  JobCompletedEvent: moveSchema(jobsEventLayouts.JobCompletedEvent, JobCompletedEvent),
  JobFailedEvent: moveSchema(jobsEventLayouts.JobFailedEvent, JobFailedEvent),
  JobTerminatedEvent: moveSchema(jobsEventLayouts.JobTerminatedEvent, JobTerminatedEvent),
  JobDeletedEvent: moveSchema(jobsEventLayouts.JobDeletedEvent, JobDeletedEvent),
  JobRescheduledEvent: moveSchema(jobsEventLayouts.JobRescheduledEvent, JobRescheduledEvent),
  MulticallExecutedEvent: moveSchema(jobsEventLayouts.MulticallExecutedEvent, MulticallExecutedEvent)
} satisfies { readonly [K in JobsEventName]: Schema.Schema<Extract<CoordinationEvent, { _tag: K }>, Uint8Array> }

/** An event's Schema from its BCS bytes (`Schema.encode` gives the bytes back). */
export const coordinationEventFromBcs = <K extends JobsEventName>(name: K): (typeof fromBcs)[K] => fromBcs[name]

/**
 * If `eventType` is `<packageId>::jobs::<Name>` for a known event, its name; else undefined.
 * `packageId` must be normalised (`0x` + 64 hex).
 */
export const coordinationEventName = (eventType: string, packageId: string): JobsEventName | undefined => {
  const parts = eventType.split("::")
  if (parts.length !== 3 || parts[1] !== "jobs") return undefined
  const name = parts[2]!
  if (!(name in jobsEventLayouts)) return undefined
  if (parts[0] !== packageId && normalizeSuiAddress(parts[0]!) !== packageId) return undefined
  return name as JobsEventName
}

/** Decodes one event's BCS bytes by its struct name. Throws on malformed bytes. */
export const decodeCoordinationEvent = (name: JobsEventName, bytes: Uint8Array): CoordinationEvent =>
  Schema.decodeSync(fromBcs[name] as unknown as Schema.Schema<CoordinationEvent, Uint8Array>)(bytes)

/**
 * The `JobCreatedEvent`s among a transaction's events, decoded (events of other packages, other
 * modules or other kinds skipped; a malformed one throws).
 */
export const jobCreationsOf = (
  events: ReadonlyArray<{ readonly eventType: string; readonly bcs: Uint8Array }>,
  packageId: string
): Array<JobCreatedEvent> =>
  events.flatMap((e) =>
    // Most of a settlement transaction's events are of other kinds: the suffix rules them out
    // before the type is split and its package compared.
    e.eventType.endsWith("::jobs::JobCreatedEvent") && coordinationEventName(e.eventType, packageId) === "JobCreatedEvent"
      ? [decodeCoordinationEvent("JobCreatedEvent", e.bcs) as JobCreatedEvent]
      : []
  )

/** A `jobs::Job` object, as the AppInstance's jobs table holds it. */
export const ChainJob = Schema.TaggedStruct("Job", {
  id: Address,
  ...JobFields,
  status: JobStatusFromMove,
  attempts: Schema.Number,
  intervalMs: opt(u64),
  nextScheduledAt: opt(u64),
  createdAt: u64,
  updatedAt: u64
})
export type ChainJob = typeof ChainJob.Type

/** A `jobs::Job` from its BCS bytes. */
export const ChainJobFromBcs = moveSchema(JobLayout, ChainJob)
