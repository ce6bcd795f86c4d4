/**
 * Programmable transaction interpreter: SplitCoins, MergeCoins, TransferObjects (including the gas
 * coin), MakeMoveVec of pure values, and MoveCall into the coordination package. Failures that
 * are not Move aborts (bad arguments, unknown functions, unused values) raise `ExecFailure` with
 * the execution error kind Sui reports.
 */
import { bcs } from "@mysten/sui/bcs"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import type { GrpcTypes } from "@mysten/sui/grpc"
import { encodeMove } from "./moveValue.js"
import { coinBalance, coinData, GAS_COIN_TYPE, isGasCoin } from "./objects.js"
import { PlainData, type ObjRecord } from "./store.js"
import { isTxContext, pureSchema, typeString, type MoveCtx, type MoveFunction, type MoveType, type StructValue } from "./runtime.js"
import type { TxArg, TxCommand } from "./txdata.js"
import type { CoinValue } from "./objects.js"

/** A non-abort execution failure (`ExecutionError.kind` values of sui.rpc.v2). */
export class ExecFailure extends Error {
  constructor(
    readonly kind: number,
    readonly command: number | undefined,
    message: string,
    readonly argument?: { index: number; kind: number }
  ) {
    super(message)
  }
}

export const ErrKind = {
  INSUFFICIENT_GAS: 1,
  INSUFFICIENT_COIN_BALANCE: 8,
  COIN_BALANCE_OVERFLOW: 9,
  MOVE_ABORT: 13,
  FUNCTION_NOT_FOUND: 16,
  ARITY_MISMATCH: 17,
  COMMAND_ARGUMENT_ERROR: 20,
  TYPE_ARGUMENT_ERROR: 21,
  UNUSED_VALUE_WITHOUT_DROP: 22,
  FEATURE_NOT_YET_SUPPORTED: 4
} as const

export const ArgErr = {
  TYPE_MISMATCH: 1,
  INVALID_BCS_BYTES: 2,
  INDEX_OUT_OF_BOUNDS: 5,
  INVALID_GAS_COIN_USAGE: 8,
  INVALID_VALUE_USAGE: 9,
  INVALID_OBJECT_BY_VALUE: 10,
  INVALID_OBJECT_BY_MUT_REF: 11
} as const

/** A value held by the PTB. */
type Val =
  | { readonly t: "pure"; readonly bytes: Uint8Array }
  | { readonly t: "obj"; readonly rec: ObjRecord; readonly mutable: boolean; readonly gas: boolean }
  | { readonly t: "newobj"; readonly rec: ObjRecord }
  | { readonly t: "value"; readonly v: unknown; readonly type: string; readonly bytes: Uint8Array }
  | { readonly t: "struct"; readonly sv: StructValue }
  | { readonly t: "vec"; readonly items: Val[] }
  | { t: "moved" }

export interface PtbEnv {
  readonly ctx: MoveCtx
  readonly functions: ReadonlyMap<string, MoveFunction>
  readonly packageId: string
  /** Input values, in order (pure bytes or objects with mutability). */
  readonly inputs: Array<Val>
  /** The (smashed) gas coin, if the transaction pays with coins. */
  readonly gasCoin: ObjRecord | undefined
  /** Told which command runs (MoveCalls: with their package and module). */
  readonly enterCommand?: (index: number, pkg: string, module: string) => void
}

export interface PtbResult {
  readonly commandOutputs: GrpcTypes.CommandResult[]
  readonly moveCalls: number
}

const pureVal = (bytes: Uint8Array): Val => ({ t: "pure", bytes })
export const inputPure = pureVal
export const inputObject = (rec: ObjRecord, mutable: boolean): Val => ({ t: "obj", rec, mutable, gas: false })

export const runPtb = (env: PtbEnv, commands: readonly TxCommand[]): PtbResult => {
  const { ctx } = env
  const results: Val[][] = []
  const outputs: GrpcTypes.CommandResult[] = []
  let moveCalls = 0
  const gasVal: Val | undefined = env.gasCoin ? { t: "obj", rec: env.gasCoin, mutable: true, gas: true } : undefined

  commands.forEach((cmd, ci) => {
    env.enterCommand?.(ci, cmd.kind === "moveCall" ? cmd.package : "", cmd.kind === "moveCall" ? cmd.module : "")
    const fail = (argIndex: number, kind: number, msg: string): never => {
      throw new ExecFailure(ErrKind.COMMAND_ARGUMENT_ERROR, ci, msg, { index: argIndex, kind })
    }
    const get = (a: TxArg, argIndex: number): Val => {
      if (a.kind === "gas") {
        if (!gasVal) return fail(argIndex, ArgErr.INVALID_GAS_COIN_USAGE, "no gas coin in this transaction")
        return gasVal
      }
      if (a.kind === "input") {
        const v = env.inputs[a.index]
        if (!v) return fail(argIndex, ArgErr.INDEX_OUT_OF_BOUNDS, `input ${a.index} out of bounds`)
        return v
      }
      const r = results[a.index]
      if (!r) return fail(argIndex, ArgErr.INDEX_OUT_OF_BOUNDS, `result ${a.index} out of bounds`)
      const v = a.sub === undefined ? (r.length === 1 ? r[0] : undefined) : r[a.sub]
      if (!v) return fail(argIndex, ArgErr.INDEX_OUT_OF_BOUNDS, `result ${a.index}/${a.sub ?? "-"} out of bounds`)
      return v
    }
    const take = (a: TxArg, argIndex: number): Val => {
      const v = get(a, argIndex)
      if (v.t === "moved") return fail(argIndex, ArgErr.INVALID_VALUE_USAGE, "value already moved")
      return v
    }
    const markMoved = (a: TxArg): void => {
      if (a.kind === "result") {
        const r = results[a.index]!
        r[a.sub ?? 0] = { t: "moved" }
      } else if (a.kind === "input") env.inputs[a.index] = { t: "moved" }
    }
    const coinOf = (a: TxArg, argIndex: number): ObjRecord => {
      const v = take(a, argIndex)
      if ((v.t === "obj" || v.t === "newobj") && isGasCoin(v.rec)) {
        if (v.t === "obj" && !v.mutable) return fail(argIndex, ArgErr.INVALID_OBJECT_BY_MUT_REF, "coin is not mutable")
        if (v.t === "obj") ctx.journal.mutate(v.rec)
        return v.rec
      }
      return fail(argIndex, ArgErr.TYPE_MISMATCH, "expected a Coin<SUI>")
    }
    const u64Of = (a: TxArg, argIndex: number): bigint => {
      const v = take(a, argIndex)
      if (v.t === "pure") {
        try {
          return BigInt(bcs.u64().parse(v.bytes))
        } catch {
          return fail(argIndex, ArgErr.INVALID_BCS_BYTES, "invalid u64")
        }
      }
      if (v.t === "value" && v.type === "u64") return v.v as bigint
      return fail(argIndex, ArgErr.TYPE_MISMATCH, "expected u64")
    }

    switch (cmd.kind) {
      case "splitCoins": {
        const coin = coinOf(cmd.coin, 0)
        const amounts = cmd.amounts.map((a, i) => u64Of(a, i + 1))
        const total = amounts.reduce((x, y) => x + y, 0n)
        const bal = (coin.data as PlainData<CoinValue>).v
        if (total > bal.balance) throw new ExecFailure(ErrKind.INSUFFICIENT_COIN_BALANCE, ci, `split ${total} from a coin holding ${bal.balance}`)
        bal.balance -= total
        results.push(
          amounts.map((amount): Val => {
            const id = ctx.newId()
            const rec: ObjRecord = {
              id, version: 0n, digest: "", owner: { kind: "immutable" }, type: GAS_COIN_TYPE, previousTransaction: "",
              storageRebate: 0n, hasPublicTransfer: true, data: coinData(id, amount)
            }
            return { t: "newobj", rec }
          })
        )
        outputs.push({ returnValues: [], mutatedByRef: [] })
        return
      }
      case "mergeCoins": {
        const dest = coinOf(cmd.coin, 0)
        const destV = (dest.data as PlainData<CoinValue>).v
        cmd.sources.forEach((a, i) => {
          const v = take(a, i + 1)
          if (v.t === "obj" && v.gas) fail(i + 1, ArgErr.INVALID_GAS_COIN_USAGE, "the gas coin cannot be merged into another coin")
          if ((v.t !== "obj" && v.t !== "newobj") || !isGasCoin(v.rec)) fail(i + 1, ArgErr.TYPE_MISMATCH, "expected a Coin<SUI>")
          const rec = (v as { rec: ObjRecord }).rec
          if (rec.id === dest.id) fail(i + 1, ArgErr.INVALID_VALUE_USAGE, "cannot merge a coin into itself")
          if (v.t === "obj") {
            if (!v.mutable) fail(i + 1, ArgErr.INVALID_OBJECT_BY_VALUE, "coin is not owned")
            ctx.journal.delete(rec.id)
          }
          const add = coinBalance(rec)
          if (destV.balance + add > 0xffff_ffff_ffff_ffffn) throw new ExecFailure(ErrKind.COIN_BALANCE_OVERFLOW, ci, "coin balance overflow")
          destV.balance += add
          markMoved(a)
        })
        results.push([])
        outputs.push({ returnValues: [], mutatedByRef: [] })
        return
      }
      case "transferObjects": {
        const n = cmd.objects.length
        const addr = take(cmd.address, n)
        let recipient: string
        if (addr.t === "pure" && addr.bytes.length === 32) recipient = normalizeSuiAddress(bcs.Address.parse(addr.bytes))
        else if (addr.t === "value" && addr.type === "address") recipient = addr.v as string
        else return fail(n, ArgErr.TYPE_MISMATCH, "expected an address")
        cmd.objects.forEach((a, i) => {
          const v = take(a, i)
          if (v.t === "obj") {
            if (!v.mutable || v.rec.owner.kind !== "address") fail(i, ArgErr.INVALID_OBJECT_BY_VALUE, "object cannot be transferred by value")
            if (!v.rec.hasPublicTransfer) fail(i, ArgErr.TYPE_MISMATCH, "object has no public transfer (store)")
            ctx.journal.transfer(v.rec, { kind: "address", address: recipient })
          } else if (v.t === "newobj") {
            v.rec.owner = { kind: "address", address: recipient }
            ctx.journal.create(v.rec)
          } else if (v.t === "struct" && v.sv.object) {
            v.sv.object.owner = { kind: "address", address: recipient }
            ctx.journal.create(v.sv.object)
          } else fail(i, ArgErr.TYPE_MISMATCH, "only objects can be transferred")
          if (!(v.t === "obj" && v.gas)) markMoved(a)
        })
        results.push([])
        outputs.push({ returnValues: [], mutatedByRef: [] })
        return
      }
      case "makeMoveVec": {
        const items = cmd.elements.map((a, i) => take(a, i))
        if (!items.every((v) => v.t === "pure")) {
          throw new ExecFailure(ErrKind.FEATURE_NOT_YET_SUPPORTED, ci, "MakeMoveVec is supported for pure values only")
        }
        results.push([{ t: "vec", items }])
        outputs.push({ returnValues: [], mutatedByRef: [] })
        return
      }
      case "unsupported":
        throw new ExecFailure(ErrKind.FEATURE_NOT_YET_SUPPORTED, ci, `${cmd.name} is not supported by the localnet`)
      case "moveCall": {
        moveCalls++
        const fn = cmd.package === env.packageId ? env.functions.get(`${cmd.module}::${cmd.function}`) : undefined
        if (!fn) throw new ExecFailure(ErrKind.FUNCTION_NOT_FOUND, ci, `function ${cmd.package}::${cmd.module}::${cmd.function} not found`)
        if (cmd.typeArguments.length > 0) throw new ExecFailure(ErrKind.TYPE_ARGUMENT_ERROR, ci, "function takes no type arguments")
        const params = fn.params.filter((p) => !isTxContext(p))
        if (params.length !== cmd.args.length) {
          throw new ExecFailure(ErrKind.ARITY_MISMATCH, ci, `expected ${params.length} arguments, got ${cmd.args.length}`)
        }
        const mutatedRefs: ObjRecord[] = []
        const args = params.map((p, i) => {
          const a = cmd.args[i]!
          const v = take(a, i)
          const schema = pureSchema(p.type)
          const want = typeString(p.type)
          if (schema) {
            if (v.t === "pure") {
              try {
                return normalize(p.type, schema.parse(v.bytes))
              } catch {
                return fail(i, ArgErr.INVALID_BCS_BYTES, `invalid BCS for ${want}`)
              }
            }
            if (v.t === "vec") {
              try {
                return normalize(p.type, schema.parse(concatVec(v.items as Array<{ bytes: Uint8Array }>)))
              } catch {
                return fail(i, ArgErr.INVALID_BCS_BYTES, `invalid BCS for ${want}`)
              }
            }
            if (v.t === "value" && v.type === want) return v.v
            return fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}`)
          }
          if (v.t === "obj") {
            if (v.rec.type !== want) fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}, got ${v.rec.type}`)
            if (p.ref === "mut") {
              if (!v.mutable) fail(i, ArgErr.INVALID_OBJECT_BY_MUT_REF, "object passed as &mut is not mutable in this transaction")
              mutatedRefs.push(v.rec)
            } else if (!p.ref) fail(i, ArgErr.INVALID_OBJECT_BY_VALUE, "object cannot be passed by value")
            return v.rec
          }
          if (v.t === "struct") {
            if (v.sv._struct !== want) fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}, got ${v.sv._struct}`)
            return v.sv
          }
          return fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}`)
        })
        const returned = fn.run(ctx, args)
        const vals: Val[] = returned.map((r, i) => {
          const ret = fn.returns[i]!
          if (r && typeof r === "object" && "_struct" in (r as object)) return { t: "struct", sv: r as StructValue }
          const schema = fn.returnSchemas?.[i] ?? pureSchema(ret.type)
          return { t: "value", v: r, type: typeString(ret.type), bytes: schema ? schema.serialize(r as never).toBytes() : new Uint8Array() }
        })
        results.push(vals)
        outputs.push({
          returnValues: vals.map((v) => ({
            value: {
              value: v.t === "value" ? v.bytes : v.t === "struct" ? encodeMove(v.sv.layout, v.sv.value) : new Uint8Array()
            }
          })),
          mutatedByRef: mutatedRefs.map((rec) => ({ value: { name: rec.type, value: new Uint8Array() } }))
        })
        return
      }
    }
  })

  // values without `drop` that nobody consumed abort the transaction, as on Sui
  results.forEach((vals) =>
    vals.forEach((v) => {
      if (v.t === "newobj" || (v.t === "struct" && v.sv.object)) {
        throw new ExecFailure(ErrKind.UNUSED_VALUE_WITHOUT_DROP, undefined, "unused value without drop (an object result was never transferred)")
      }
    })
  )
  return { commandOutputs: outputs, moveCalls }
}

/** Parsed BCS values use strings for u64; the Move code here works with bigint. */
const normalize = (t: MoveType, v: unknown): unknown => {
  if (v === null || v === undefined) return null
  if (typeof t === "string") {
    if (t === "u64" || t === "u128") return BigInt(v as string)
    if (t === "address") return normalizeSuiAddress(v as string)
    return v
  }
  if ("vector" in t) return t.vector === "u8" ? v : (v as unknown[]).map((x) => normalize(t.vector, x))
  if (t.params && t.params.length === 1) return normalize(t.params[0]!, v)
  return v
}

const concatVec = (items: Array<{ bytes: Uint8Array }>): Uint8Array => {
  const uleb: number[] = []
  let n = items.length
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n) b |= 0x80
    uleb.push(b)
  } while (n)
  const total = uleb.length + items.reduce((s, i) => s + i.bytes.length, 0)
  const out = new Uint8Array(total)
  out.set(uleb, 0)
  let o = uleb.length
  for (const i of items) {
    out.set(i.bytes, o)
    o += i.bytes.length
  }
  return out
}
