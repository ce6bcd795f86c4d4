/**
 * Module `jobs` of the coordination package: the job state machine with the rules of the deployed
 * Move code (see the chain spec). Jobs are `Job` objects stored as dynamic object fields of the
 * instance's `jobs.jobs` ObjectTable, keyed by the u64 sequence.
 *
 * Fidelity notes: like the Move code, `start` enforces `next_scheduled_at` only for periodic jobs
 * (a retried one-time job carries `next_scheduled_at = now + 60 s` for the coordinator to honour),
 * and starting a periodic job created without `next_scheduled_at` aborts in `std::option`.
 */
import { deriveFieldId } from "../crypto.js"
import { dofFieldLayout, JobLayout, jobsEventLayouts, JobStatusLayout, OperationFailedEventLayout } from "../layouts.js"
import { encodeMove } from "../moveValue.js"
import { PlainData, type ObjRecord } from "../store.js"
import { STD, SUI, type MoveCtx } from "../runtime.js"
import type { AppInstanceData } from "./appInstanceData.js"

export const DEFAULT_MAX_ATTEMPTS = 3
export const MIN_INTERVAL_MS = 60_000n
export const RETRY_INTERVAL_MS = 60_000n

export type JobStatusValue = { $kind: "Pending" } | { $kind: "Running" } | { $kind: "Failed"; pos0: string }

export interface JobValue {
  id: string
  job_sequence: bigint
  description: string | null
  developer: string
  agent: string
  agent_method: string
  app: string
  app_instance: string
  app_instance_method: string
  block_number: bigint | null
  sequences: bigint[] | null
  sequences1: bigint[] | null
  sequences2: bigint[] | null
  data: Uint8Array
  status: JobStatusValue
  attempts: number
  interval_ms: bigint | null
  next_scheduled_at: bigint | null
  created_at: bigint
  updated_at: bigint
}

const U64_KEY_TYPE = `${SUI}::dynamic_object_field::Wrapper<u64>`
const u64Field = dofFieldLayout("u64")

/** Id of the dynamic field object holding job `seq` in table `tableId` (Sui's derivation). */
export const jobFieldId = (tableId: string, seq: bigint): string => deriveFieldId(tableId, U64_KEY_TYPE, u64Bytes(seq))

const u64Bytes = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, v, true)
  return b
}

export const jobType = (pkg: string): string => `${pkg}::jobs::Job`

export const emitJobs = (ctx: MoveCtx, name: keyof typeof jobsEventLayouts & string, value: unknown): void =>
  ctx.emit("jobs", name, jobsEventLayouts[name]!, value)

/** `multicall::emit_operation_failed` */
export const operationFailed = (
  ctx: MoveCtx,
  operation: string,
  entityType: string,
  entityId: bigint,
  reason: string,
  additional: Uint8Array | null
): void =>
  ctx.emit("multicall", "OperationFailedEvent", OperationFailedEventLayout, {
    operation,
    entity_type: entityType,
    entity_id: entityId,
    reason,
    caller: ctx.sender,
    timestamp: ctx.nowMs,
    additional_data: additional
  })

const statusBcs = (s: JobStatusValue): Uint8Array => encodeMove(JobStatusLayout, s)

/** The job record for `seq`, or undefined when the table has no such entry. */
export const findJob = (ctx: MoveCtx, app: AppInstanceData, seq: bigint): ObjRecord | undefined => {
  const field = ctx.store.get(jobFieldId(app.jobs.tableId, seq))
  if (!field?.dynamicField) return undefined
  return ctx.store.get(field.dynamicField.childId)
}

export const jobOf = (rec: ObjRecord): JobValue => (rec.data as PlainData<JobValue>).v

const isPeriodic = (j: JobValue): boolean => j.interval_ms !== null

export const addPending = (app: AppInstanceData, job: JobValue): void => {
  if (app.addToSet(app.pending, job.job_sequence)) app.setJobs("pendingCount", app.jobs.pendingCount + 1n)
  app.addToSet(app.indexSet(job.developer, job.agent, job.agent_method, true)!, job.job_sequence)
}

const removePending = (app: AppInstanceData, job: JobValue): void => {
  if (!app.removeFromSet(app.pending, job.job_sequence)) return
  app.setJobs("pendingCount", app.jobs.pendingCount - 1n)
  const set = app.indexSet(job.developer, job.agent, job.agent_method, false)
  if (set) app.removeFromSet(set, job.job_sequence)
}

export const deleteJob = (ctx: MoveCtx, app: AppInstanceData, rec: ObjRecord): void => {
  const fieldId = jobFieldId(app.jobs.tableId, jobOf(rec).job_sequence)
  ctx.journal.delete(rec.id)
  ctx.journal.delete(fieldId)
  app.setJobs("tableSize", app.jobs.tableSize - 1n)
}

/** What `create_job` is given: a job's fields but those the package fills in itself. */
export type CreateJobArgs = Omit<JobValue, "id" | "job_sequence" | "status" | "attempts" | "created_at" | "updated_at">

/** `jobs::create_job` — returns the sequence, or undefined (with OperationFailedEvent). */
export const createJob = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, a: CreateJobArgs): bigint | undefined => {
  if (a.interval_ms !== null && a.interval_ms < MIN_INTERVAL_MS) {
    operationFailed(ctx, "create", "job", 0n, "Interval must be >= 60000 ms", null)
    return undefined
  }
  ctx.journal.mutate(appRec)
  const seq = app.jobs.nextJobSequence
  const now = ctx.nowMs
  const jobId = ctx.newId()
  const job: JobValue = { id: jobId, job_sequence: seq, ...a, status: { $kind: "Pending" }, attempts: 0, created_at: now, updated_at: now }
  emitJobs(ctx, "JobCreatedEvent", {
    job_sequence: seq,
    description: a.description,
    developer: a.developer,
    agent: a.agent,
    agent_method: a.agent_method,
    app: a.app,
    app_instance: a.app_instance,
    app_instance_method: a.app_instance_method,
    block_number: a.block_number,
    sequences: a.sequences,
    sequences1: a.sequences1,
    sequences2: a.sequences2,
    data: a.data,
    status: { $kind: "Pending" },
    created_at: now
  })
  const fieldId = jobFieldId(app.jobs.tableId, seq)
  ctx.createObject({
    id: fieldId,
    type: `${SUI}::dynamic_field::Field<${U64_KEY_TYPE}, ${SUI}::object::ID>`,
    owner: { kind: "object", address: app.jobs.tableId },
    data: new PlainData(u64Field, { id: fieldId, name: { name: seq }, value: jobId }),
    hasPublicTransfer: false,
    dynamicField: { nameType: U64_KEY_TYPE, nameBcs: u64Bytes(seq), childId: jobId }
  })
  ctx.createObject({
    id: jobId,
    type: jobType(ctx.packageId),
    owner: { kind: "object", address: fieldId },
    data: new PlainData(JobLayout, job),
    hasPublicTransfer: true
  })
  app.setJobs("tableSize", app.jobs.tableSize + 1n)
  addPending(app, job)
  app.setJobs("nextJobSequence", seq + 1n)
  return seq
}

export const jobUpdated = (ctx: MoveCtx, j: JobValue): void =>
  emitJobs(ctx, "JobUpdatedEvent", {
    job_sequence: j.job_sequence,
    developer: j.developer,
    agent: j.agent,
    agent_method: j.agent_method,
    app_instance: j.app_instance,
    status: j.status,
    attempts: j.attempts,
    updated_at: ctx.nowMs
  })

/** `jobs::start_job` */
export const startJob = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, seq: bigint): boolean => {
  const now = ctx.nowMs
  const rec = findJob(ctx, app, seq)
  if (!rec) {
    operationFailed(ctx, "start", "job", seq, "job_not_found", null)
    return false
  }
  const j = jobOf(rec)
  if (j.status.$kind !== "Pending") {
    operationFailed(ctx, "start", "job", seq, "wrong_status", statusBcs(j.status))
    return false
  }
  if (isPeriodic(j)) {
    if (j.next_scheduled_at === null) ctx.abort("option", "borrow", 0x40001n, "option::borrow on None (periodic job without next_scheduled_at)", STD)
    if (now < j.next_scheduled_at) {
      operationFailed(ctx, "start", "job", seq, "not_due_yet", statusBcs(j.status))
      return false
    }
  }
  ctx.journal.mutate(rec)
  j.status = { $kind: "Running" }
  j.attempts += 1
  j.updated_at = now
  jobUpdated(ctx, j)
  emitJobs(ctx, "JobStartedEvent", { job_sequence: seq, app_instance: j.app_instance, coordinator: ctx.sender, started_at: now })
  ctx.journal.mutate(appRec)
  removePending(app, j)
  return true
}

/** `jobs::complete_job` */
export const completeJob = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, seq: bigint): boolean => {
  const now = ctx.nowMs
  const rec = findJob(ctx, app, seq)
  if (!rec) {
    operationFailed(ctx, "complete", "job", seq, "job_not_found", null)
    return false
  }
  const j = jobOf(rec)
  if (j.status.$kind !== "Running") {
    operationFailed(ctx, "complete", "job", seq, "wrong_status, should be running", statusBcs(j.status))
    return false
  }
  emitJobs(ctx, "JobCompletedEvent", { job_sequence: seq, app_instance: j.app_instance, coordinator: ctx.sender, completed_at: now })
  ctx.journal.mutate(appRec)
  if (isPeriodic(j)) {
    ctx.journal.mutate(rec)
    const next = now + j.interval_ms!
    j.status = { $kind: "Pending" }
    j.attempts = 0
    j.updated_at = now
    j.next_scheduled_at = next
    jobUpdated(ctx, j)
    emitJobs(ctx, "JobRescheduledEvent", { job_sequence: seq, app_instance: j.app_instance, next_scheduled_at: next, rescheduled_at: now })
    addPending(app, j)
  } else {
    emitJobs(ctx, "JobDeletedEvent", { job_sequence: seq, app_instance: j.app_instance, deleted_at: now })
    deleteJob(ctx, app, rec)
  }
  return true
}

/** `jobs::fail_job` */
export const failJob = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, seq: bigint, error: string): boolean => {
  const now = ctx.nowMs
  const rec = findJob(ctx, app, seq)
  if (!rec) {
    operationFailed(ctx, "fail", "job", seq, "job_not_found", null)
    return false
  }
  const j = jobOf(rec)
  if (j.status.$kind !== "Running") {
    operationFailed(ctx, "fail", "job", seq, "wrong_status, should be running", statusBcs(j.status))
    return false
  }
  emitJobs(ctx, "JobFailedEvent", {
    job_sequence: seq,
    app_instance: j.app_instance,
    coordinator: ctx.sender,
    error,
    attempts: j.attempts,
    failed_at: now
  })
  ctx.journal.mutate(rec)
  ctx.journal.mutate(appRec)
  if (j.attempts < app.jobs.maxAttempts) {
    j.status = { $kind: "Pending" }
    j.next_scheduled_at = now + RETRY_INTERVAL_MS
    j.updated_at = now
    jobUpdated(ctx, j)
    addPending(app, j)
  } else if (isPeriodic(j)) {
    j.attempts = 0
    j.status = { $kind: "Pending" }
    const next = now + j.interval_ms!
    j.next_scheduled_at = next
    j.updated_at = now
    jobUpdated(ctx, j)
    emitJobs(ctx, "JobRescheduledEvent", { job_sequence: seq, app_instance: j.app_instance, next_scheduled_at: next, rescheduled_at: now })
    addPending(app, j)
  } else {
    j.status = { $kind: "Failed", pos0: error }
    j.updated_at = now
    app.setJobs("failedCount", app.jobs.failedCount + 1n)
    app.addToSet(app.failedIndex, seq)
  }
  return true
}

/** `jobs::terminate_job` */
export const terminateJob = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, seq: bigint): boolean => {
  const now = ctx.nowMs
  const rec = findJob(ctx, app, seq)
  if (!rec) {
    operationFailed(ctx, "terminate", "job", seq, "job_not_found", null)
    return false
  }
  const j = jobOf(rec)
  ctx.journal.mutate(appRec)
  removePending(app, j)
  emitJobs(ctx, "JobTerminatedEvent", { job_sequence: seq, app_instance: j.app_instance, coordinator: ctx.sender, terminated_at: now })
  emitJobs(ctx, "JobDeletedEvent", { job_sequence: seq, app_instance: j.app_instance, deleted_at: now })
  deleteJob(ctx, app, rec)
  return true
}

/** `jobs::multicall_job_operations` */
export const multicallJobs = (
  ctx: MoveCtx,
  appRec: ObjRecord,
  app: AppInstanceData,
  ops: {
    complete: bigint[]
    fail: bigint[]
    failErrors: string[]
    terminate: bigint[]
    start: bigint[]
    startMemory: bigint[]
    availableMemory: bigint
  }
): void => {
  // EInvalidArguments is the 4th #[error] constant of `jobs`; clever error codes carry the
  // constant index in bits 32..47 and the line in bits 48..63 (line not tracked here).
  if (ops.fail.length !== ops.failErrors.length || ops.start.length !== ops.startMemory.length) {
    ctx.abort("jobs", "multicall_job_operations", 0x8000_0003_0000_0000n, "Invalid arguments: fail_job_sequences and fail_errors must have same length")
  }
  let remaining = ops.availableMemory
  const complete_results = ops.complete.map((s) => completeJob(ctx, appRec, app, s))
  const fail_results = ops.fail.map((s, i) => failJob(ctx, appRec, app, s, ops.failErrors[i]!))
  const terminate_results = ops.terminate.map((s) => terminateJob(ctx, appRec, app, s))
  const start_results = ops.start.map((s, i) => {
    const need = ops.startMemory[i]!
    if (remaining < need) return false
    const ok = startJob(ctx, appRec, app, s)
    if (ok) remaining -= need
    return ok
  })
  emitJobs(ctx, "MulticallExecutedEvent", {
    coordinator: ctx.sender,
    complete_jobs: ops.complete,
    complete_results,
    fail_jobs: ops.fail,
    fail_results,
    terminate_jobs: ops.terminate,
    terminate_results,
    start_jobs: ops.start,
    start_results,
    timestamp: ctx.nowMs
  })
}
