/**
 * The pipeline demo's app module, emulated in the localnet as the coordination package is (no
 * Move package of its own): `demo_add::add(instance, value, clock, ctx)` is one action of an app
 * whose state is a u64 sum. It records the action as a new sequence (`increase_sequence`, with
 * the new sum as the optimistic state and the value as the transition data, which may also close
 * the open block) and creates the `prove` job for that sequence in the block it belongs to.
 * Its sum lives in the instance's kv under `demo_add:sum`; sequence 0 holds the initial sum 0.
 *
 * Also localnet-only: `demo_add::set_min_time_between_blocks(instance, ms, ctx)` (admin only) —
 * the deployed package refuses less than 60 s; the demo and the benchmark close blocks faster.
 * Nothing calls it unless asked (`npm start` with `DEMO_BLOCK_INTERVAL_MS`, the pipeline bench).
 * And `demo_add::set_prove_method(instance, name, ctx)` (admin only): the actions' jobs go to
 * that method instead of `prove` (an app whose prove method has another name).
 */
import { ClockParam, StringT, TxContextParam, type MoveFunction, type MoveParam, type MoveType } from "../runtime.js"
import type { ObjRecord } from "../store.js"
import type { AppInstanceData } from "./appInstanceData.js"
import { increaseSequence } from "./blocks.js"
import { appInstanceType, clever, dt } from "./types.js"

export const DEMO_SUM_KEY = "demo_add:sum"
export const DEMO_PROVE_METHOD = "prove"
/** kv key of the instance's prove method when it is not `prove` (localnet-only `set_prove_method`). */
export const DEMO_PROVE_METHOD_KEY = "demo_add:prove_method"
const E_NOT_AUTHORIZED = clever(0)

const u64le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, v, true)
  return b
}

export const demoAppFunctions = (pkg: string, createAppJob: MoveFunction["run"]): MoveFunction[] => {
  const AppInstanceMut: MoveParam = { ref: "mut", type: dt(appInstanceType(pkg)) }
  const p = (type: MoveType): MoveParam => ({ type })
  const app = (ctx: Parameters<MoveFunction["run"]>[0], rec: unknown): AppInstanceData => {
    ctx.journal.mutate(rec as ObjRecord)
    return (rec as ObjRecord).data as AppInstanceData
  }
  return [
    {
      module: "demo_add", name: "add",
      params: [AppInstanceMut, p("u64"), ClockParam, TxContextParam(true)], returns: [],
      run: (ctx, [inst, value]) => {
        const a = app(ctx, inst)
        const v = value as bigint
        // Sequence 0 is the app's initial state (a sum of 0), before its first action.
        if (a.s.sequence === 0n) increaseSequence(ctx, a, u64le(0n), new Uint8Array())
        const sum = (BigInt(a.kv.get(DEMO_SUM_KEY) ?? "0") + v) % (1n << 64n)
        // The sequence this action gets, and the block it falls in (open now; closed by this call at the latest).
        const sequence = a.s.sequence
        const block = a.s.block_number
        increaseSequence(ctx, a, u64le(sum), u64le(v))
        a.putEntry(a.kv, DEMO_SUM_KEY, sum.toString())
        const method = a.kv.get(DEMO_PROVE_METHOD_KEY) ?? DEMO_PROVE_METHOD
        createAppJob(ctx, [inst, method, `prove sequence ${sequence}`, block, [sequence], null, null, u64le(v), null, null, null])
        return []
      }
    },
    {
      module: "demo_add", name: "set_min_time_between_blocks",
      params: [AppInstanceMut, p("u64"), TxContextParam(false)], returns: [],
      run: (ctx, [inst, ms]) => {
        const a = app(ctx, inst)
        if (a.s.admin !== ctx.sender) ctx.abort("demo_add", "set_min_time_between_blocks", E_NOT_AUTHORIZED, "Not authorized")
        a.setScalar("min_time_between_blocks", ms as bigint)
        return []
      }
    },
    {
      module: "demo_add", name: "set_prove_method",
      params: [AppInstanceMut, p(StringT), TxContextParam(false)], returns: [],
      run: (ctx, [inst, method]) => {
        const a = app(ctx, inst)
        if (a.s.admin !== ctx.sender) ctx.abort("demo_add", "set_prove_method", E_NOT_AUTHORIZED, "Not authorized")
        a.putEntry(a.kv, DEMO_PROVE_METHOD_KEY, method as string)
        return []
      }
    }
  ]
}

