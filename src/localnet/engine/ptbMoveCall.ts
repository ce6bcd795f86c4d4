/** A MoveCall into the coordination package: arguments decoded by the function's signature. */
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { encodeMove } from "./moveValue.js"
import { ArgErr, ErrKind, ExecFailure, type CommandOutcome, type CommandScope, type Val } from "./ptbScope.js"
import { isTxContext, pureSchema, typeString, type MoveParam, type MoveType, type StructValue } from "./runtime.js"
import type { ObjRecord } from "./store.js"
import type { TxArg, TxCommand } from "./txdata.js"

type MoveCallCmd = Extract<TxCommand, { kind: "moveCall" }>

/** One argument as the function's Move code receives it (pure decoded, objects as records). */
const argument = (s: CommandScope, p: MoveParam, a: TxArg, i: number, mutatedRefs: ObjRecord[]): unknown => {
  const v = s.take(a, i)
  const schema = pureSchema(p.type)
  const want = typeString(p.type)
  if (schema) {
    const bytes = v.t === "pure" ? v.bytes : v.t === "vec" && v.items.every((x) => x.t === "pure") ? concatVec(v.items as Array<{ bytes: Uint8Array }>) : undefined
    if (bytes !== undefined) {
      try {
        return normalize(p.type, schema.parse(bytes))
      } catch {
        return s.fail(i, ArgErr.INVALID_BCS_BYTES, `invalid BCS for ${want}`)
      }
    }
    if (v.t === "value" && v.type === want) return v.v
    return s.fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}`)
  }
  if (v.t === "obj") {
    if (v.rec.type !== want) s.fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}, got ${v.rec.type}`)
    if (p.ref === "mut") {
      if (!v.mutable) s.fail(i, ArgErr.INVALID_OBJECT_BY_MUT_REF, "object passed as &mut is not mutable in this transaction")
      mutatedRefs.push(v.rec)
    } else if (!p.ref) s.fail(i, ArgErr.INVALID_OBJECT_BY_VALUE, "object cannot be passed by value")
    return v.rec
  }
  if (v.t === "struct") {
    if (v.sv._struct !== want) s.fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}, got ${v.sv._struct}`)
    return v.sv
  }
  return s.fail(i, ArgErr.TYPE_MISMATCH, `expected ${want}`)
}

export const coordinationCall = (s: CommandScope, cmd: MoveCallCmd): CommandOutcome => {
  const fn = s.env.functions.get(`${cmd.module}::${cmd.function}`)
  if (!fn) throw new ExecFailure(ErrKind.FUNCTION_NOT_FOUND, s.index, `function ${cmd.package}::${cmd.module}::${cmd.function} not found`)
  if (cmd.typeArguments.length > 0) throw new ExecFailure(ErrKind.TYPE_ARGUMENT_ERROR, s.index, "function takes no type arguments")
  const params = fn.params.filter((p) => !isTxContext(p))
  if (params.length !== cmd.args.length) {
    throw new ExecFailure(ErrKind.ARITY_MISMATCH, s.index, `expected ${params.length} arguments, got ${cmd.args.length}`)
  }
  const mutatedRefs: ObjRecord[] = []
  const args = params.map((p, i) => argument(s, p, cmd.args[i]!, i, mutatedRefs))
  const returned = fn.run(s.ctx, args)
  const values: Val[] = returned.map((r, i) => {
    const ret = fn.returns[i]!
    if (r && typeof r === "object" && "_struct" in (r as object)) return { t: "struct", sv: r as StructValue }
    const schema = fn.returnSchemas?.[i] ?? pureSchema(ret.type)
    return { t: "value", v: r, type: typeString(ret.type), bytes: schema ? schema.serialize(r as never).toBytes() : new Uint8Array() }
  })
  return {
    values,
    output: {
      returnValues: values.map((v) => ({
        value: { value: v.t === "value" ? v.bytes : v.t === "struct" ? encodeMove(v.sv.layout, v.sv.value) : new Uint8Array() }
      })),
      mutatedByRef: mutatedRefs.map((rec) => ({ value: { name: rec.type, value: new Uint8Array() } }))
    }
  }
}

/** Parsed BCS values use strings for u64; the Move code here works with bigint. */
const normalize = (t: MoveType, v: unknown): unknown => {
  if (v === null || v === undefined) return null
  if (typeof t === "string") {
    if (t === "u64" || t === "u128") return BigInt(v as string)
    if (t === "address") return normalizeSuiAddress(v as string)
    return v
  }
  if ("typeParameter" in t) return v
  if ("vector" in t) return t.vector === "u8" ? v : (v as unknown[]).map((x) => normalize(t.vector, x))
  if (t.params && t.params.length === 1) return normalize(t.params[0]!, v)
  return v
}

/** A vector of pure values as one BCS vector (uleb length, then the elements). */
export const concatVec = (items: Array<{ bytes: Uint8Array }>): Uint8Array => {
  const uleb: number[] = []
  let n = items.length
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n) b |= 0x80
    uleb.push(b)
  } while (n)
  const total = uleb.length + items.reduce((sum, i) => sum + i.bytes.length, 0)
  const out = new Uint8Array(total)
  out.set(uleb, 0)
  let o = uleb.length
  for (const i of items) {
    out.set(i.bytes, o)
    o += i.bytes.length
  }
  return out
}
