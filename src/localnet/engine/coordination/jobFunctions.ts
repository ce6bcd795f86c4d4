/**
 * `app_instance`'s job entry points: `create_app_job`, `start_app_job`, `complete_app_job`,
 * `fail_app_job`, `terminate_app_job` and `multicall_app_job_operations`, with the deployed
 * signatures (the AppInstance as a mutable shared object first, Clock and TxContext last). The job
 * table itself is kept by jobs.ts; these functions unpack the arguments and keep the instance's
 * settlement job references in step with it.
 */
import { bcs } from "@mysten/sui/bcs"
import { OperationFailedEventLayout } from "../layouts.js"
import type { ObjRecord } from "../store.js"
import { ClockParam, StringT, TxContextParam, optionT, vectorT, type MoveCtx, type MoveFunction, type MoveParam, type MoveType } from "../runtime.js"
import type { AppInstanceData } from "./appInstanceData.js"
import { completeJob, createJob, findJob, failJob, multicallJobs, startJob, terminateJob } from "./jobs.js"
import { appInstanceType, dt } from "./types.js"

const app = (rec: unknown): { rec: ObjRecord; data: AppInstanceData } => {
  const r = rec as ObjRecord
  return { rec: r, data: r.data as AppInstanceData }
}

/** Clears the settlement job reference of every chain whose settlement job is `seq`. */
const releaseSettlementJob = (ctx: MoveCtx, rec: ObjRecord, data: AppInstanceData, seq: bigint): void => {
  for (const [chain, st] of data.settlements) {
    if (st.settlement_job === seq) {
      ctx.journal.mutate(rec)
      data.setSettlementJob(chain, null)
    }
  }
}

/**
 * `create_app_job`: a job for one of the instance's methods; Some(sequence), or None with an
 * OperationFailedEvent when the method or the settlement chain is unknown, or the chain already
 * has a settlement job. Also the body of `create_merge_job` and the demo app's `add`.
 */
export const createAppJob: MoveFunction["run"] = (ctx, [inst, method, description, blockNumber, seqs, seqs1, seqs2, data, intervalMs, nextAt, settlementChain]) => {
  const { rec, data: a } = app(inst)
  const methodName = method as string
  const m = a.methods.get(methodName)
  const enc = new TextEncoder()
  const failed = (reason: string) => {
    ctx.emit("multicall", "OperationFailedEvent", OperationFailedEventLayout, {
      operation: "create_job", entity_type: "app_instance", entity_id: 0n, reason,
      caller: ctx.sender, timestamp: ctx.nowMs, additional_data: enc.encode(methodName)
    })
    return [null]
  }
  if (!m) return failed("Method not found in app instance")
  const chain = settlementChain as string | null
  if (chain !== null) {
    const st = a.settlements.get(chain)
    if (!st) return failed("Settlement chain not found")
    if (st.settlement_job !== null) return failed("Settlement job already exists for this chain")
  }
  const seq = createJob(ctx, rec, a, {
    description: description as string | null,
    developer: m.developer,
    agent: m.agent,
    agent_method: m.agent_method,
    app: a.s.silvana_app_name,
    app_instance: a.s.id.slice(2),
    app_instance_method: methodName,
    block_number: blockNumber as bigint | null,
    sequences: seqs as bigint[] | null,
    sequences1: seqs1 as bigint[] | null,
    sequences2: seqs2 as bigint[] | null,
    data: data as Uint8Array,
    interval_ms: intervalMs as bigint | null,
    next_scheduled_at: nextAt as bigint | null
  })
  if (seq === undefined) return [null]
  if (chain !== null) a.setSettlementJob(chain, seq)
  return [seq]
}

/** `terminate_app_job`: false (no event) for a missing job; clears a settlement's job reference first. */
const terminateAppJob: MoveFunction["run"] = (ctx, [inst, seq]) => {
  const { rec, data } = app(inst)
  const s = seq as bigint
  if (!findJob(ctx, data, s)) return [false]
  releaseSettlementJob(ctx, rec, data, s)
  return [terminateJob(ctx, rec, data, s)]
}

/** `multicall_app_job_operations`: the batched job operations, in jobs.ts's order. */
const multicallAppJobOperations: MoveFunction["run"] = (ctx, [inst, complete, fail, failErrors, terminate, start, startMemory, available]) => {
  const { rec, data } = app(inst)
  for (const s of terminate as bigint[]) releaseSettlementJob(ctx, rec, data, s)
  multicallJobs(ctx, rec, data, {
    complete: complete as bigint[],
    fail: fail as bigint[],
    failErrors: failErrors as string[],
    terminate: terminate as bigint[],
    start: start as bigint[],
    startMemory: startMemory as bigint[],
    availableMemory: available as bigint
  })
  return []
}

/** The job entry points of package `pkg`. */
export const appJobFunctions = (pkg: string): MoveFunction[] => {
  const AppInstanceMut: MoveParam = { ref: "mut", type: dt(appInstanceType(pkg)) }
  const p = (type: MoveType): MoveParam => ({ type })
  const optStr = p(optionT(StringT))
  const u64 = p("u64")
  const vecU64 = p(vectorT("u64"))
  const optVecU64 = p(optionT(vectorT("u64")))
  const boolRet: MoveParam[] = [p("bool")]
  /** A `(instance, seq, [extra…], clock, ctx): bool` job operation. */
  const seqOp = (name: string, extra: MoveParam[], run: MoveFunction["run"]): MoveFunction => ({
    module: "app_instance", name,
    params: [AppInstanceMut, u64, ...extra, ClockParam, TxContextParam(false)], returns: boolRet, returnSchemas: [bcs.bool()],
    run
  })
  return [
    {
      module: "app_instance",
      name: "create_app_job",
      params: [AppInstanceMut, p(StringT), optStr, p(optionT("u64")), optVecU64, optVecU64, optVecU64, p(vectorT("u8")), p(optionT("u64")), p(optionT("u64")), optStr, ClockParam, TxContextParam(true)],
      returns: [p(optionT("u64"))],
      returnSchemas: [bcs.option(bcs.u64())],
      run: createAppJob
    },
    seqOp("start_app_job", [], (ctx, [inst, seq]) => {
      const { rec, data } = app(inst)
      return [startJob(ctx, rec, data, seq as bigint)]
    }),
    seqOp("complete_app_job", [], (ctx, [inst, seq]) => {
      const { rec, data } = app(inst)
      return [completeJob(ctx, rec, data, seq as bigint)]
    }),
    seqOp("fail_app_job", [p(StringT)], (ctx, [inst, seq, error]) => {
      const { rec, data } = app(inst)
      return [failJob(ctx, rec, data, seq as bigint, error as string)]
    }),
    seqOp("terminate_app_job", [], terminateAppJob),
    {
      module: "app_instance", name: "multicall_app_job_operations",
      params: [AppInstanceMut, vecU64, vecU64, p(vectorT(StringT)), vecU64, vecU64, vecU64, u64, ClockParam, TxContextParam(false)],
      returns: [],
      run: multicallAppJobOperations
    }
  ]
}
