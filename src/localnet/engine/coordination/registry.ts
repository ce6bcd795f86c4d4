/**
 * Module `registry` (and `app_method::new`) of the coordination package: developers, agents and
 * their methods, apps with methods, and new app instances created from an app — with the
 * signatures of the public Silvana sources. ObjectTable entries are dynamic object fields keyed by
 * the String name (or the sender's address for the `*_index` tables).
 *
 * Two families: developers and their agents' methods (`add_developer`, `add_agent`, `add_method`,
 * `set_default_method`), and apps (`add_app`, `add_method_to_app`,
 * `create_app_instance_from_registry`).
 */
import { AgentLayout, AppInstanceCapLayout, AppNamesLayout, DeveloperLayout, DeveloperNamesLayout, SilvanaAppLayout } from "../layouts.js"
import { PlainData, type ObjRecord } from "../store.js"
import {
  ClockParam, StringT, SUI, TxContextParam, optionT, vectorT, type MoveCtx, type MoveFunction, type MoveParam, type MoveType, type StructValue
} from "../runtime.js"
import { newAppInstanceData } from "./appInstanceData.js"
import { addBlock, addSettlementChain } from "./blocks.js"
import { addProofCalculation } from "./prover.js"
import { AddressKey, StringKey, tableAdd, tableBorrow, tableContains } from "./tables.js"
import { appInstanceType, appMethodType, clever, dt, registryType } from "./types.js"

const E_NOT_AUTHORIZED_REGISTRY = clever(1)

type Run = MoveFunction["run"]

const registry = (rec: unknown): { rec: ObjRecord; v: any } => {
  const r = rec as ObjRecord
  return { rec: r, v: (r.data as PlainData<any>).v }
}

const registryMut = (pkg: string): MoveParam => ({ ref: "mut", type: dt(registryType(pkg)) })
const p = (type: MoveType): MoveParam => ({ type })
const optStr = p(optionT(StringT))
const str = p(StringT)

/** Aborts `fn` unless the sender is the registry's admin or `owner`. */
const authorize = (ctx: MoveCtx, v: any, owner: unknown, fn: string): void => {
  if (v.admin !== ctx.sender && owner !== ctx.sender) ctx.abort("registry", fn, E_NOT_AUTHORIZED_REGISTRY, "Not authorized")
}

/** Adds `name` to the sender's entry of an `*_index` table, creating the entry (built by `entry`) on first use. */
const addToNamesIndex = (
  ctx: MoveCtx, index: { id: string; size: bigint }, name: unknown, entry: (id: string) => { type: string; data: PlainData<any> }
): void => {
  if (tableContains(ctx, index.id, AddressKey, ctx.sender)) {
    const names = tableBorrow(ctx, index.id, AddressKey, ctx.sender)
    ctx.journal.mutate(names)
    const nv = (names.data as PlainData<any>).v
    nv.names.push(name)
    nv.version += 1n
  } else {
    const nid = ctx.newId()
    tableAdd(ctx, index, AddressKey, ctx.sender, { id: nid, ...entry(nid) })
  }
}

/** The developer `developer` of the registry, after checking the sender is the admin or its owner. */
const ownedDeveloper = (ctx: MoveCtx, reg: unknown, developer: unknown, fn: string): { dev: ObjRecord; dv: any } => {
  const r = registry(reg)
  const dev = tableBorrow(ctx, r.v.developers.id, StringKey, developer)
  const dv = (dev.data as PlainData<any>).v
  authorize(ctx, r.v, dv.owner, fn)
  return { dev, dv }
}

const addDeveloper = (pkg: string): Run => (ctx, [reg, owner, name, github, image, description, site]) => {
  const r = registry(reg)
  authorize(ctx, r.v, owner, "add_developer")
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
  addToNamesIndex(ctx, r.v.developers_index, name, (nid) => ({
    type: `${pkg}::developer::DeveloperNames`,
    data: new PlainData(DeveloperNamesLayout, { id: nid, developer: ctx.sender, names: [name], version: 1n })
  }))
  return []
}

const addAgent = (pkg: string): Run => (ctx, [reg, developer, name, image, description, site, chains]) => {
  const { dev, dv } = ownedDeveloper(ctx, reg, developer, "add_agent")
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

const addMethod: Run = (ctx, [reg, developer, agentName, methodName, image, sha, mem, cpus, tee]) => {
  const { dv } = ownedDeveloper(ctx, reg, developer, "add_method")
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

const setDefaultMethod: Run = (ctx, [reg, developer, agentName, methodName]) => {
  const { dv } = ownedDeveloper(ctx, reg, developer, "set_default_method")
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

/** Developers, their agents and the agents' methods. */
const developerFunctions = (pkg: string): MoveFunction[] => {
  const RegistryMut = registryMut(pkg)
  return [
    {
      module: "registry", name: "add_developer",
      params: [RegistryMut, p("address"), str, str, optStr, optStr, optStr, ClockParam, TxContextParam(true)], returns: [],
      run: addDeveloper(pkg)
    },
    {
      module: "registry", name: "add_agent",
      params: [RegistryMut, str, str, optStr, optStr, optStr, p(vectorT(StringT)), ClockParam, TxContextParam(true)], returns: [],
      run: addAgent(pkg)
    },
    {
      module: "registry", name: "add_method",
      params: [RegistryMut, str, str, str, str, optStr, p("u16"), p("u16"), p("bool"), ClockParam, TxContextParam(false)], returns: [],
      run: addMethod
    },
    {
      module: "registry", name: "set_default_method",
      params: [RegistryMut, str, str, str, ClockParam, TxContextParam(false)], returns: [],
      run: setDefaultMethod
    }
  ]
}

const addApp = (pkg: string): Run => (ctx, [reg, name, owner, description]) => {
  const r = registry(reg)
  authorize(ctx, r.v, owner, "add_app")
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
  addToNamesIndex(ctx, r.v.apps_index, name, (nid) => ({
    type: `${pkg}::silvana_app::AppNames`,
    data: new PlainData(AppNamesLayout, { id: nid, app_owner: ctx.sender, names: [name], version: 1n })
  }))
  return []
}

const addMethodToApp: Run = (ctx, [reg, appName, methodName, method]) => {
  const r = registry(reg)
  const appRec = tableBorrow(ctx, r.v.apps.id, StringKey, appName)
  const av = (appRec.data as PlainData<any>).v
  authorize(ctx, r.v, av.owner, "add_method_to_app")
  if (av.methods.contents.some((e: any) => e.key === methodName)) ctx.abort("vec_map", "insert", 0n, "method already exists", SUI)
  ctx.journal.mutate(appRec)
  av.methods.contents.push({ key: methodName, value: structuredClone((method as StructValue).value) })
  av.updated_at = ctx.nowMs
  av.version += 1n
  return []
}

/** The AppInstanceCap handed back by `create_app_instance_from_registry`, frozen (immutable). */
const instanceCap = (ctx: MoveCtx, pkg: string, instance: string): StructValue => {
  const capId = ctx.newId()
  return {
    _struct: `${pkg}::app_instance::AppInstanceCap`,
    value: { id: capId, instance_address: instance },
    layout: AppInstanceCapLayout,
    object: {
      id: capId, version: 0n, digest: "", owner: { kind: "immutable" }, type: `${pkg}::app_instance::AppInstanceCap`,
      previousTransaction: "", storageRebate: 0n, hasPublicTransfer: true,
      data: new PlainData(AppInstanceCapLayout, { id: capId, instance_address: instance })
    }
  }
}

const createAppInstanceFromRegistry = (pkg: string): Run => (ctx, [reg, appName, description, chains, addresses, minTime]) => {
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
  // create_app_instance: the proof calculation of block 1 (from sequence 1, open-ended), the
  // settlements (a `settlement::create_settlement` each), then block 0
  addProofCalculation(ctx, data, 1n, 1n, null)
  cs.forEach((chain, i) => addSettlementChain(ctx, data, chain, as[i] ?? null))
  addBlock(ctx, data, 0n, 0n, 0n, null)
  ctx.createObject({
    id: data.s.id,
    type: appInstanceType(pkg),
    owner: { kind: "shared", initialVersion: 0n },
    data,
    hasPublicTransfer: true
  })
  ctx.journal.mutate(appRec)
  av.instances.contents.push(data.s.id)
  return [instanceCap(ctx, pkg, data.s.id)]
}

/** Apps, their methods and the instances created from them. */
const appFunctions = (pkg: string): MoveFunction[] => {
  const RegistryMut = registryMut(pkg)
  return [
    {
      module: "registry", name: "add_app",
      params: [RegistryMut, str, p("address"), optStr, ClockParam, TxContextParam(true)], returns: [],
      run: addApp(pkg)
    },
    {
      module: "registry", name: "add_method_to_app",
      params: [RegistryMut, str, str, p(dt(appMethodType(pkg))), TxContextParam(true)], returns: [],
      run: addMethodToApp
    },
    {
      module: "registry", name: "create_app_instance_from_registry",
      params: [RegistryMut, str, optStr, p(vectorT(StringT)), p(vectorT(optionT(StringT))), p("u64"), ClockParam, TxContextParam(true)],
      returns: [p(dt(`${pkg}::app_instance::AppInstanceCap`))],
      run: createAppInstanceFromRegistry(pkg)
    }
  ]
}

/** The registry's entry points for package `pkg`. */
export const registryFunctions = (pkg: string): MoveFunction[] => [...developerFunctions(pkg), ...appFunctions(pkg)]
