/**
 * The coordination package's entry points, implemented in TypeScript with the signatures of the
 * deployed Move code (argument order and types as in the chain spec and the public Silvana
 * sources): `app_instance::{create_app_job, start_app_job, complete_app_job, fail_app_job,
 * terminate_app_job, multicall_app_job_operations}`, `registry::{add_developer, add_agent,
 * add_method, set_default_method, add_app, add_method_to_app, create_app_instance_from_registry}`
 * and `app_method::new`.
 *
 * One localnet-only function: `app_instance::add_method_to_instance(instance, method_name,
 * method: AppMethod, ctx)` (admin only). The deployed package copies methods from the SilvanaApp
 * when an instance is created; the localnet's genesis instance needs a way to gain methods after
 * the fact, so seeding uses this function.
 *
 * The registry functions live in `registry.ts`, kv/metadata/prover ones in `appFunctions.ts`,
 * blocks / sequence states / settlements in `blockFunctions.ts`. Not modelled: registry/app/agent
 * lifecycle events (`DeveloperCreatedEvent`, …).
 */
import { bcs } from "@mysten/sui/bcs"
import { AppMethodLayout, OperationFailedEventLayout } from "../layouts.js"
import type { ObjRecord } from "../store.js"
import {
  ClockParam, StringT, TxContextParam, optionT, vectorT,
  type MoveCtx, type MoveFunction, type MoveParam, type MoveType, type StructValue
} from "../runtime.js"
import type { AppInstanceData, AppMethodValue } from "./appInstanceData.js"
import { completeJob, createJob, findJob, failJob, multicallJobs, startJob, terminateJob } from "./jobs.js"
import { appDataFunctions } from "./appFunctions.js"
import { blockFunctions } from "./blockFunctions.js"
import { demoAppFunctions } from "./demoApp.js"
import { registryFunctions } from "./registry.js"
import { appInstanceType, appMethodType, clever, dt } from "./types.js"

const E_NOT_AUTHORIZED_APP_INSTANCE = clever(0)

export { appInstanceType, registryType } from "./types.js"
export { newAppInstanceData } from "./appInstanceData.js"

/** Builds the function table for a package id. */
export const coordinationFunctions = (pkg: string): ReadonlyMap<string, MoveFunction> => {
  const AppInstanceMut: MoveParam = { ref: "mut", type: dt(appInstanceType(pkg)) }
  const AppMethodT: MoveType = dt(appMethodType(pkg))
  const p = (type: MoveType): MoveParam => ({ type })
  const optStr = p(optionT(StringT))
  const str = p(StringT)
  const u64 = p("u64")
  const vecU64 = p(vectorT("u64"))
  const boolRet: MoveParam[] = [p("bool")]

  const app = (ctx: MoveCtx, rec: unknown): { rec: ObjRecord; data: AppInstanceData } => {
    const r = rec as ObjRecord
    return { rec: r, data: r.data as AppInstanceData }
  }

  const createAppJob: MoveFunction["run"] = (ctx, [inst, method, description, blockNumber, seqs, seqs1, seqs2, data, intervalMs, nextAt, settlementChain]) => {
    const { rec, data: a } = app(ctx, inst)
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

  const fns: MoveFunction[] = [
    {
      module: "app_instance",
      name: "create_app_job",
      params: [AppInstanceMut, str, optStr, p(optionT("u64")), p(optionT(vectorT("u64"))), p(optionT(vectorT("u64"))), p(optionT(vectorT("u64"))), p(vectorT("u8")), p(optionT("u64")), p(optionT("u64")), optStr, ClockParam, TxContextParam(true)],
      returns: [p(optionT("u64"))],
      returnSchemas: [bcs.option(bcs.u64())],
      run: createAppJob
    },
    {
      module: "app_instance", name: "start_app_job",
      params: [AppInstanceMut, u64, ClockParam, TxContextParam(false)], returns: boolRet, returnSchemas: [bcs.bool()],
      run: (ctx, [inst, seq]) => {
        const { rec, data } = app(ctx, inst)
        return [startJob(ctx, rec, data, seq as bigint)]
      }
    },
    {
      module: "app_instance", name: "complete_app_job",
      params: [AppInstanceMut, u64, ClockParam, TxContextParam(false)], returns: boolRet, returnSchemas: [bcs.bool()],
      run: (ctx, [inst, seq]) => {
        const { rec, data } = app(ctx, inst)
        return [completeJob(ctx, rec, data, seq as bigint)]
      }
    },
    {
      module: "app_instance", name: "fail_app_job",
      params: [AppInstanceMut, u64, str, ClockParam, TxContextParam(false)], returns: boolRet, returnSchemas: [bcs.bool()],
      run: (ctx, [inst, seq, error]) => {
        const { rec, data } = app(ctx, inst)
        return [failJob(ctx, rec, data, seq as bigint, error as string)]
      }
    },
    {
      module: "app_instance", name: "terminate_app_job",
      params: [AppInstanceMut, u64, ClockParam, TxContextParam(false)], returns: boolRet, returnSchemas: [bcs.bool()],
      run: (ctx, [inst, seq]) => {
        const { rec, data } = app(ctx, inst)
        const s = seq as bigint
        // the Move code answers false (without an event) for a missing job, and clears a settlement's job reference before terminating
        if (!findJob(ctx, data, s)) return [false]
        for (const [chain, st] of data.settlements) {
          if (st.settlement_job === s) {
            ctx.journal.mutate(rec)
            data.setSettlementJob(chain, null)
          }
        }
        return [terminateJob(ctx, rec, data, s)]
      }
    },
    {
      module: "app_instance", name: "multicall_app_job_operations",
      params: [AppInstanceMut, vecU64, vecU64, p(vectorT(StringT)), vecU64, vecU64, vecU64, u64, ClockParam, TxContextParam(false)],
      returns: [],
      run: (ctx, [inst, complete, fail, failErrors, terminate, start, startMemory, available]) => {
        const { rec, data } = app(ctx, inst)
        for (const s of terminate as bigint[]) {
          for (const [chain, st] of data.settlements) {
            if (st.settlement_job === s) {
              ctx.journal.mutate(rec)
              data.setSettlementJob(chain, null)
            }
          }
        }
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
    },
    {
      module: "app_instance", name: "add_method_to_instance",
      params: [AppInstanceMut, str, p(AppMethodT), TxContextParam(false)], returns: [],
      run: (ctx, [inst, name, method]) => {
        const { rec, data } = app(ctx, inst)
        if (data.s.admin !== ctx.sender) ctx.abort("app_instance", "add_method_to_instance", E_NOT_AUTHORIZED_APP_INSTANCE, "Not authorized")
        ctx.journal.mutate(rec)
        data.setMethod(name as string, (method as StructValue).value as AppMethodValue)
        data.setScalar("updated_at", ctx.nowMs)
        return []
      }
    },
    {
      module: "app_method", name: "new",
      params: [optStr, str, str, str], returns: [p(AppMethodT)],
      run: (_ctx, [description, developer, agent, agentMethod]) => {
        const value: AppMethodValue = {
          description: description as string | null,
          developer: developer as string,
          agent: agent as string,
          agent_method: agentMethod as string
        }
        const sv: StructValue = { _struct: appMethodType(pkg), value, layout: AppMethodLayout }
        return [sv]
      }
    }
  ]
  return new Map([...fns, ...appDataFunctions(pkg, createAppJob), ...blockFunctions(pkg), ...demoAppFunctions(pkg, createAppJob), ...registryFunctions(pkg)].map((f) => [`${f.module}::${f.name}`, f]))
}
