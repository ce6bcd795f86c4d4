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
 * Not modelled: registry/app/agent lifecycle events (`DeveloperCreatedEvent`, …) and the
 * instance's block/proof machinery.
 */
import { bcs } from "@mysten/sui/bcs"
import { AgentLayout, AppInstanceCapLayout, OperationFailedEventLayout, AppMethodLayout, AppNamesLayout, DeveloperLayout, DeveloperNamesLayout, SilvanaAppLayout } from "../layouts.js"
import { PlainData, type ObjRecord } from "../store.js"
import {
  ClockParam, StringT, SUI, TxContextParam, optionT, vectorT,
  type MoveCtx, type MoveFunction, type MoveParam, type MoveType, type StructValue
} from "../runtime.js"
import { AppInstanceData, type AppMethodValue } from "./appInstanceData.js"
import { completeJob, createJob, findJob, failJob, multicallJobs, startJob, terminateJob } from "./jobs.js"
import { AddressKey, StringKey, tableAdd, tableBorrow, tableContains } from "./tables.js"

/** #[error] constants abort with "clever" codes: bit 63 set, constant index in bits 32..47. */
const clever = (index: number): bigint => (1n << 63n) | (BigInt(index) << 32n)
const E_NOT_AUTHORIZED_APP_INSTANCE = clever(0)
const E_NOT_AUTHORIZED_REGISTRY = clever(1)

export const appInstanceType = (pkg: string): string => `${pkg}::app_instance::AppInstance`
export const registryType = (pkg: string): string => `${pkg}::registry::SilvanaRegistry`
const appMethodType = (pkg: string): string => `${pkg}::app_method::AppMethod`

const dt = (datatype: string): MoveType => ({ datatype })

/** Builds the function table for a package id. */
export const coordinationFunctions = (pkg: string): ReadonlyMap<string, MoveFunction> => {
  const AppInstanceMut: MoveParam = { ref: "mut", type: dt(appInstanceType(pkg)) }
  const RegistryMut: MoveParam = { ref: "mut", type: dt(registryType(pkg)) }
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
  const registry = (rec: unknown): { rec: ObjRecord; v: any } => {
    const r = rec as ObjRecord
    return { rec: r, v: (r.data as PlainData<any>).v }
  }

  const fns: MoveFunction[] = [
    {
      module: "app_instance",
      name: "create_app_job",
      params: [AppInstanceMut, str, optStr, p(optionT("u64")), p(optionT(vectorT("u64"))), p(optionT(vectorT("u64"))), p(optionT(vectorT("u64"))), p(vectorT("u8")), p(optionT("u64")), p(optionT("u64")), optStr, ClockParam, TxContextParam(true)],
      returns: [p(optionT("u64"))],
      returnSchemas: [bcs.option(bcs.u64())],
      run: (ctx, [inst, method, description, blockNumber, seqs, seqs1, seqs2, data, intervalMs, nextAt, settlementChain]) => {
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
    },
    {
      module: "registry", name: "add_developer",
      params: [RegistryMut, p("address"), str, str, optStr, optStr, optStr, ClockParam, TxContextParam(true)], returns: [],
      run: (ctx, [reg, owner, name, github, image, description, site]) => {
        const r = registry(reg)
        if (r.v.admin !== ctx.sender && owner !== ctx.sender) ctx.abort("registry", "add_developer", E_NOT_AUTHORIZED_REGISTRY, "Not authorized")
        ctx.journal.mutate(r.rec)
        const now = ctx.nowMs
        const id = ctx.newId()
        tableAdd(ctx, r.v.developers, StringKey, name, {
          id,
          type: `${pkg}::developer::Developer`,
          data: new PlainData(DeveloperLayout, {
            id, name, github, image, description, site, agents: { id: ctx.newId(), size: 0n },
            owner, created_at: now, updated_at: now, version: 1n
          })
        })
        if (tableContains(ctx, r.v.developers_index.id, AddressKey, ctx.sender)) {
          const names = tableBorrow(ctx, r.v.developers_index.id, AddressKey, ctx.sender)
          ctx.journal.mutate(names)
          const nv = (names.data as PlainData<any>).v
          nv.names.push(name)
          nv.version += 1n
        } else {
          const nid = ctx.newId()
          tableAdd(ctx, r.v.developers_index, AddressKey, ctx.sender, {
            id: nid,
            type: `${pkg}::developer::DeveloperNames`,
            data: new PlainData(DeveloperNamesLayout, { id: nid, developer: ctx.sender, names: [name], version: 1n })
          })
        }
        return []
      }
    },
    {
      module: "registry", name: "add_agent",
      params: [RegistryMut, str, str, optStr, optStr, optStr, p(vectorT(StringT)), ClockParam, TxContextParam(true)], returns: [],
      run: (ctx, [reg, developer, name, image, description, site, chains]) => {
        const r = registry(reg)
        const dev = tableBorrow(ctx, r.v.developers.id, StringKey, developer)
        const dv = (dev.data as PlainData<any>).v
        if (r.v.admin !== ctx.sender && dv.owner !== ctx.sender) ctx.abort("registry", "add_agent", E_NOT_AUTHORIZED_REGISTRY, "Not authorized")
        ctx.journal.mutate(dev)
        const now = ctx.nowMs
        const id = ctx.newId()
        tableAdd(ctx, dv.agents, StringKey, name, {
          id,
          type: `${pkg}::agent::Agent`,
          data: new PlainData(AgentLayout, {
            id, name, image, description, site, chains, methods: { contents: [] }, default_method: null,
            created_at: now, updated_at: now, version: 1n
          })
        })
        dv.updated_at = now
        dv.version += 1n
        return []
      }
    },
    {
      module: "registry", name: "add_method",
      params: [RegistryMut, str, str, str, str, optStr, p("u16"), p("u16"), p("bool"), ClockParam, TxContextParam(false)], returns: [],
      run: (ctx, [reg, developer, agentName, methodName, image, sha, mem, cpus, tee]) => {
        const r = registry(reg)
        const dev = tableBorrow(ctx, r.v.developers.id, StringKey, developer)
        const dv = (dev.data as PlainData<any>).v
        if (r.v.admin !== ctx.sender && dv.owner !== ctx.sender) ctx.abort("registry", "add_method", E_NOT_AUTHORIZED_REGISTRY, "Not authorized")
        const agent = tableBorrow(ctx, dv.agents.id, StringKey, agentName)
        const av = (agent.data as PlainData<any>).v
        if (av.methods.contents.some((e: any) => e.key === methodName)) ctx.abort("vec_map", "insert", 0n, "method already exists", SUI)
        ctx.journal.mutate(agent)
        av.methods.contents.push({
          key: methodName,
          value: { docker_image: image, docker_sha256: sha, min_memory_gb: mem, min_cpu_cores: cpus, requires_tee: tee }
        })
        av.updated_at = ctx.nowMs
        av.version += 1n
        return []
      }
    },
    {
      module: "registry", name: "set_default_method",
      params: [RegistryMut, str, str, str, ClockParam, TxContextParam(false)], returns: [],
      run: (ctx, [reg, developer, agentName, methodName]) => {
        const r = registry(reg)
        const dev = tableBorrow(ctx, r.v.developers.id, StringKey, developer)
        const dv = (dev.data as PlainData<any>).v
        if (r.v.admin !== ctx.sender && dv.owner !== ctx.sender) ctx.abort("registry", "set_default_method", E_NOT_AUTHORIZED_REGISTRY, "Not authorized")
        const agent = tableBorrow(ctx, dv.agents.id, StringKey, agentName)
        const av = (agent.data as PlainData<any>).v
        const entry = av.methods.contents.find((e: any) => e.key === methodName)
        if (!entry) ctx.abort("vec_map", "get", 1n, "method not found", SUI)
        ctx.journal.mutate(agent)
        av.default_method = structuredClone(entry.value)
        av.updated_at = ctx.nowMs
        av.version += 1n
        return []
      }
    },
    {
      module: "registry", name: "add_app",
      params: [RegistryMut, str, p("address"), optStr, ClockParam, TxContextParam(true)], returns: [],
      run: (ctx, [reg, name, owner, description]) => {
        const r = registry(reg)
        if (r.v.admin !== ctx.sender && owner !== ctx.sender) ctx.abort("registry", "add_app", E_NOT_AUTHORIZED_REGISTRY, "Not authorized")
        ctx.journal.mutate(r.rec)
        const now = ctx.nowMs
        const id = ctx.newId()
        tableAdd(ctx, r.v.apps, StringKey, name, {
          id,
          type: `${pkg}::silvana_app::SilvanaApp`,
          data: new PlainData(SilvanaAppLayout, {
            id, name, description, methods: { contents: [] }, owner, created_at: now, updated_at: now, version: 1n,
            instances: { contents: [] }
          })
        })
        if (tableContains(ctx, r.v.apps_index.id, AddressKey, ctx.sender)) {
          const names = tableBorrow(ctx, r.v.apps_index.id, AddressKey, ctx.sender)
          ctx.journal.mutate(names)
          const nv = (names.data as PlainData<any>).v
          nv.names.push(name)
          nv.version += 1n
        } else {
          const nid = ctx.newId()
          tableAdd(ctx, r.v.apps_index, AddressKey, ctx.sender, {
            id: nid,
            type: `${pkg}::silvana_app::AppNames`,
            data: new PlainData(AppNamesLayout, { id: nid, app_owner: ctx.sender, names: [name], version: 1n })
          })
        }
        return []
      }
    },
    {
      module: "registry", name: "add_method_to_app",
      params: [RegistryMut, str, str, p(AppMethodT), TxContextParam(true)], returns: [],
      run: (ctx, [reg, appName, methodName, method]) => {
        const r = registry(reg)
        const appRec = tableBorrow(ctx, r.v.apps.id, StringKey, appName)
        const av = (appRec.data as PlainData<any>).v
        if (r.v.admin !== ctx.sender && av.owner !== ctx.sender) ctx.abort("registry", "add_method_to_app", E_NOT_AUTHORIZED_REGISTRY, "Not authorized")
        if (av.methods.contents.some((e: any) => e.key === methodName)) ctx.abort("vec_map", "insert", 0n, "method already exists", SUI)
        ctx.journal.mutate(appRec)
        av.methods.contents.push({ key: methodName, value: structuredClone((method as StructValue).value) })
        av.updated_at = ctx.nowMs
        av.version += 1n
        return []
      }
    },
    {
      module: "registry", name: "create_app_instance_from_registry",
      params: [RegistryMut, str, optStr, p(vectorT(StringT)), p(vectorT(optionT(StringT))), u64, ClockParam, TxContextParam(true)],
      returns: [p(dt(`${pkg}::app_instance::AppInstanceCap`))],
      run: (ctx, [reg, appName, description, chains, addresses, minTime]) => {
        const r = registry(reg)
        const appRec = tableBorrow(ctx, r.v.apps.id, StringKey, appName)
        const av = (appRec.data as PlainData<any>).v
        if ((minTime as bigint) < 60_000n) ctx.abort("app_instance", "create_app_instance", clever(2), "Minimum time between blocks is too low")
        const cs = chains as string[]
        const as = addresses as Array<string | null>
        if (cs.length !== as.length) ctx.abort("app_instance", "create_app_instance", clever(6), "Settlement vectors length mismatch")
        const data = newAppInstanceData(ctx, {
          appName: appName as string,
          description: description as string | null,
          admin: ctx.sender,
          minTimeBetweenBlocks: minTime as bigint
        })
        for (const m of av.methods.contents) data.methods.set(m.key, structuredClone(m.value))
        cs.forEach((chain, i) =>
          data.settlements.set(chain, {
            chain, last_settled_block_number: 0n, settlement_address: as[i] ?? null,
            block_settlements: { id: ctx.newId(), size: 0n }, settlement_job: null
          })
        )
        ctx.createObject({
          id: data.s.id,
          type: appInstanceType(pkg),
          owner: { kind: "shared", initialVersion: 0n },
          data,
          hasPublicTransfer: true
        })
        ctx.journal.mutate(appRec)
        av.instances.contents.push(data.s.id)
        const capId = ctx.newId()
        const cap: StructValue = {
          _struct: `${pkg}::app_instance::AppInstanceCap`,
          value: { id: capId, instance_address: data.s.id },
          layout: AppInstanceCapLayout,
          object: {
            id: capId, version: 0n, digest: "", owner: { kind: "immutable" }, type: `${pkg}::app_instance::AppInstanceCap`,
            previousTransaction: "", storageRebate: 0n, hasPublicTransfer: true,
            data: new PlainData(AppInstanceCapLayout, { id: capId, instance_address: data.s.id })
          }
        }
        return [cap]
      }
    }
  ]
  return new Map(fns.map((f) => [`${f.module}::${f.name}`, f]))
}

/** A fresh, empty AppInstance (used by genesis and `create_app_instance_from_registry`). */
export const newAppInstanceData = (
  ids: { newId(): string; nowMs: bigint },
  o: { appName: string; description: string | null; admin: string; minTimeBetweenBlocks: bigint }
): AppInstanceData =>
  new AppInstanceData(
    {
      id: ids.newId(),
      silvana_app_name: o.appName,
      description: o.description,
      stateId: ids.newId(),
      blocksId: ids.newId(),
      proofCalculationsId: ids.newId(),
      sequenceStatesManagerId: ids.newId(),
      sequenceStatesId: ids.newId(),
      sequence: 0n,
      admin: o.admin,
      block_number: 1n,
      previous_block_timestamp: ids.nowMs,
      previous_block_last_sequence: 0n,
      last_proved_block_number: 0n,
      last_settled_block_number: 0n,
      last_settled_sequence: 0n,
      last_purged_sequence: 0n,
      isPaused: false,
      min_time_between_blocks: o.minTimeBetweenBlocks,
      created_at: ids.nowMs,
      updated_at: ids.nowMs
    },
    {
      id: ids.newId(),
      tableId: ids.newId(),
      tableSize: 0n,
      failedCount: 0n,
      pendingCount: 0n,
      nextJobSequence: 1n,
      maxAttempts: 3
    }
  )
