/**
 * `app_instance` entry points over the instance's application data: `set_kv`, `delete_kv`,
 * `add_metadata` (write-once: `vec_map::insert` aborts on a duplicate key), the prover calls
 * (`start_proving`, `submit_proof`, `reject_proof`) and `create_merge_job`. Signatures as in the
 * deployed package; every call takes the AppInstance as a mutable shared object.
 */
import { bcs } from "@mysten/sui/bcs"
import type { ObjRecord } from "../store.js"
import {
  ClockParam, StringT, SUI, TxContextParam, optionT, vectorT,
  type MoveFunction, type MoveParam, type MoveType
} from "../runtime.js"
import type { AppInstanceData } from "./appInstanceData.js"
import { operationFailed } from "./jobs.js"
import { emitAppInstance, rejectProof, startProving, submitProof } from "./prover.js"
import { appInstanceType, dt } from "./types.js"

type CreateAppJob = MoveFunction["run"]

/** The functions, given `create_app_job`'s implementation (create_merge_job delegates to it). */
export const appDataFunctions = (pkg: string, createAppJob: CreateAppJob): MoveFunction[] => {
  const AppInstanceMut: MoveParam = { ref: "mut", type: dt(appInstanceType(pkg)) }
  const p = (type: MoveType): MoveParam => ({ type })
  const str = p(StringT)
  const u64 = p("u64")
  const vecU64 = p(vectorT("u64"))
  const optVecU64 = p(optionT(vectorT("u64")))
  const app = (rec: unknown) => ({ rec: rec as ObjRecord, data: (rec as ObjRecord).data as AppInstanceData })

  return [
    {
      module: "app_instance", name: "set_kv",
      params: [AppInstanceMut, str, str, TxContextParam(false)], returns: [],
      run: (ctx, [inst, key, value]) => {
        const { rec, data } = app(inst)
        ctx.journal.mutate(rec)
        data.putEntry(data.kv, key as string, value as string)
        emitAppInstance(ctx, "KVSetEvent", { app_instance_address: data.s.id, key, value })
        return []
      }
    },
    {
      module: "app_instance", name: "delete_kv",
      params: [AppInstanceMut, str, TxContextParam(false)], returns: [],
      run: (ctx, [inst, key]) => {
        const { rec, data } = app(inst)
        ctx.journal.mutate(rec)
        if (data.removeEntry(data.kv, key as string)) emitAppInstance(ctx, "KVDeletedEvent", { app_instance_address: data.s.id, key })
        return []
      }
    },
    {
      module: "app_instance", name: "add_metadata",
      params: [AppInstanceMut, str, str, TxContextParam(false)], returns: [],
      run: (ctx, [inst, key, value]) => {
        const { rec, data } = app(inst)
        // sui::vec_map::insert: EKeyAlreadyExists = 0
        if (data.metadata.has(key as string)) ctx.abort("vec_map", "insert", 0n, `metadata key ${String(key)} already exists`, SUI)
        ctx.journal.mutate(rec)
        data.putEntry(data.metadata, key as string, value as string)
        emitAppInstance(ctx, "MetadataAddedEvent", { app_instance_address: data.s.id, key, value })
        return []
      }
    },
    {
      module: "app_instance", name: "start_proving",
      params: [AppInstanceMut, u64, vecU64, optVecU64, optVecU64, ClockParam, TxContextParam(true)],
      returns: [p("bool")], returnSchemas: [bcs.bool()],
      run: (ctx, [inst, block, seqs, m1, m2]) => {
        const { data } = app(inst)
        return [startProving(ctx, data, block as bigint, seqs as bigint[], m1 as bigint[] | null, m2 as bigint[] | null)]
      }
    },
    {
      module: "app_instance", name: "submit_proof",
      params: [AppInstanceMut, u64, vecU64, optVecU64, optVecU64, str, str, p("u8"), str, u64, u64, ClockParam, TxContextParam(true)],
      returns: [],
      run: (ctx, [inst, block, seqs, m1, m2, jobId, daHash, cores, arch, memory, cpuTime]) => {
        const { rec, data } = app(inst)
        submitProof(ctx, rec, data, {
          block: block as bigint, sequences: seqs as bigint[], merged1: m1 as bigint[] | null, merged2: m2 as bigint[] | null,
          jobId: jobId as string, daHash: daHash as string, cpuCores: cores as number, architecture: arch as string,
          memory: memory as bigint, cpuTime: cpuTime as bigint
        })
        return []
      }
    },
    {
      module: "app_instance", name: "reject_proof",
      params: [AppInstanceMut, u64, vecU64, ClockParam, TxContextParam(true)], returns: [],
      run: (ctx, [inst, block, seqs]) => {
        const { data } = app(inst)
        rejectProof(ctx, data, block as bigint, seqs as bigint[])
        return []
      }
    },
    {
      module: "app_instance", name: "create_merge_job",
      params: [AppInstanceMut, u64, vecU64, vecU64, vecU64, p(optionT(StringT)), ClockParam, TxContextParam(true)],
      returns: [p(optionT("u64"))], returnSchemas: [bcs.option(bcs.u64())],
      run: (ctx, [inst, block, seqs, m1, m2, description]) => {
        const { data } = app(inst)
        if (!startProving(ctx, data, block as bigint, seqs as bigint[], m1 as bigint[], m2 as bigint[])) {
          operationFailed(ctx, "create_merge_job", "app_instance", 0n, "Failed to reserve proofs for merge", null)
          return [null]
        }
        return createAppJob(ctx, [inst, "merge", description, block, seqs, m1, m2, new Uint8Array(), null, null, null])
      }
    }
  ]
}
