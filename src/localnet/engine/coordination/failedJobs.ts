/**
 * The jobs that failed for good (`max_attempts` reached, not periodic): `jobs::fail_job` keeps
 * them in the job table with status `Failed(error)` and lists them in `failed_jobs_index`, and
 * nothing on chain runs them again. The deployed package lets anyone bring them back
 * (`app_instance::restart_failed_app_jobs`, no admin check: the job goes back to Pending with its
 * attempts at 0) or delete them (`remove_failed_app_jobs`); the deployed coordinator calls neither
 * by itself — its operator CLI does. Same rules here: a sequence not in the failed index is
 * skipped, `None` means every failed job.
 */
import { jobsRestartEventLayouts } from "../layouts.js"
import type { ObjRecord } from "../store.js"
import { ClockParam, optionT, vectorT, type MoveCtx, type MoveFunction, type MoveParam } from "../runtime.js"
import type { AppInstanceData } from "./appInstanceData.js"
import { addPending, deleteJob, emitJobs, findJob, jobOf, jobUpdated } from "./jobs.js"
import { appInstanceType, dt } from "./types.js"

// `EJobNotFound` of `jobs` (its first #[error] constant): the index lists a job the table lacks.
const E_JOB_NOT_FOUND = 0x8000_0000_0000_0000n

const listed = (app: AppInstanceData, which: bigint[] | null): bigint[] => which ?? [...app.failedIndex]

/** Takes `seq` out of the failed index; the job record, or undefined when `seq` is not failed. */
const takeFailed = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, seq: bigint, fn: string): ObjRecord | undefined => {
  if (!app.failedIndex.has(seq)) return undefined
  const rec = findJob(ctx, app, seq)
  if (rec === undefined) ctx.abort("jobs", fn, E_JOB_NOT_FOUND, "Job not found")
  ctx.journal.mutate(appRec)
  app.setJobs("failedCount", app.jobs.failedCount - 1n)
  app.removeFromSet(app.failedIndex, seq)
  return rec
}

/** `jobs::restart_failed_jobs` */
export const restartFailedJobs = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, which: bigint[] | null): void => {
  const seqs = listed(app, which)
  const now = ctx.nowMs
  for (const seq of seqs) {
    const rec = takeFailed(ctx, appRec, app, seq, "restart_failed_jobs")
    if (rec === undefined) continue
    ctx.journal.mutate(rec)
    const j = jobOf(rec)
    j.status = { $kind: "Pending" }
    j.attempts = 0
    j.next_scheduled_at = null
    j.updated_at = now
    jobUpdated(ctx, j)
    ctx.emit("jobs", "JobRestartedEvent", jobsRestartEventLayouts.JobRestartedEvent, { job_sequence: seq, app_instance: j.app_instance, started_at: now })
    addPending(app, j)
  }
  ctx.emit("jobs", "JobsRestartedEvent", jobsRestartEventLayouts.JobsRestartedEvent, { failed_jobs: seqs, num_failed_jobs: BigInt(seqs.length), restarted_at: now })
}

/** `jobs::remove_failed_jobs` */
export const removeFailedJobs = (ctx: MoveCtx, appRec: ObjRecord, app: AppInstanceData, which: bigint[] | null): void => {
  for (const seq of listed(app, which)) {
    const rec = takeFailed(ctx, appRec, app, seq, "remove_failed_jobs")
    if (rec === undefined) continue
    emitJobs(ctx, "JobDeletedEvent", { job_sequence: seq, app_instance: jobOf(rec).app_instance, deleted_at: ctx.nowMs })
    deleteJob(ctx, app, rec)
  }
}

/** `app_instance::restart_failed_app_jobs` and `remove_failed_app_jobs` of package `pkg`. */
export const failedJobFunctions = (pkg: string): MoveFunction[] => {
  const params: MoveParam[] = [{ ref: "mut", type: dt(appInstanceType(pkg)) }, { type: optionT(vectorT("u64")) }, ClockParam]
  const entry = (name: string, run: typeof restartFailedJobs): MoveFunction => ({
    module: "app_instance", name, params, returns: [],
    run: (ctx, [inst, which]) => {
      const rec = inst as ObjRecord
      run(ctx, rec, rec.data as AppInstanceData, (which as bigint[] | null) ?? null)
      return []
    }
  })
  return [entry("restart_failed_app_jobs", restartFailedJobs), entry("remove_failed_app_jobs", removeFailedJobs)]
}
