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
 * The job functions live in `jobFunctions.ts`, the registry ones in `registry.ts`,
 * kv/metadata/prover ones in `appFunctions.ts`, blocks / sequence states / settlements in
 * `blockFunctions.ts`; this file adds the instance's methods and assembles the table. Not modelled: registry/app/agent
 * lifecycle events (`DeveloperCreatedEvent`, …).
 */
import { AppMethodLayout } from "../layouts.js"
import type { ObjRecord } from "../store.js"
import { StringT, TxContextParam, optionT, type MoveFunction, type MoveParam, type MoveType, type StructValue } from "../runtime.js"
import type { AppInstanceData, AppMethodValue } from "./appInstanceData.js"
import { appDataFunctions } from "./appFunctions.js"
import { blockFunctions } from "./blockFunctions.js"
import { demoAppFunctions } from "./demoApp.js"
import { failedJobFunctions } from "./failedJobs.js"
import { appJobFunctions, createAppJob } from "./jobFunctions.js"
import { registryFunctions } from "./registry.js"
import { appInstanceType, appMethodType, clever, dt } from "./types.js"

const E_NOT_AUTHORIZED_APP_INSTANCE = clever(0)

export { appInstanceType, registryType } from "./types.js"
export { newAppInstanceData } from "./appInstanceData.js"

/** An instance's methods: `app_method::new` and the localnet-only `app_instance::add_method_to_instance`. */
const appMethodFunctions = (pkg: string): MoveFunction[] => {
  const AppMethodT: MoveType = dt(appMethodType(pkg))
  const p = (type: MoveType): MoveParam => ({ type })
  const optStr = p(optionT(StringT))
  const str = p(StringT)
  return [
    {
      module: "app_instance", name: "add_method_to_instance",
      params: [{ ref: "mut", type: dt(appInstanceType(pkg)) }, str, p(AppMethodT), TxContextParam(false)], returns: [],
      run: (ctx, [inst, name, method]) => {
        const rec = inst as ObjRecord
        const data = rec.data as AppInstanceData
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
}

/** Builds the function table for a package id. */
export const coordinationFunctions = (pkg: string): ReadonlyMap<string, MoveFunction> => {
  const fns: MoveFunction[] = [
    ...appJobFunctions(pkg),
    ...failedJobFunctions(pkg),
    ...appMethodFunctions(pkg),
    ...appDataFunctions(pkg, createAppJob),
    ...blockFunctions(pkg),
    ...demoAppFunctions(pkg, createAppJob),
    ...registryFunctions(pkg)
  ]
  return new Map(fns.map((f) => [`${f.module}::${f.name}`, f]))
}
