/**
 * What a Move function implemented in TypeScript sees while it runs: the sender, the clock, the
 * journaled object store, object creation and event emission, and Move aborts. Also the function
 * signature language used both to decode arguments and to answer `MovePackageService.GetFunction`.
 */
import { bcs, type BcsType } from "@mysten/sui/bcs"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import type { GrpcTypes } from "@mysten/sui/grpc"
import { primitiveBcs } from "../../chain/moveLayout.js"
import type { MoveLayout } from "./moveValue.js"
import type { ObjectStore, ObjRecord, OwnerRec, ObjData, TxJournal } from "./store.js"

/** A Move type in a function signature. */
export type MoveType =
  | "u8" | "u16" | "u32" | "u64" | "u128" | "bool" | "address"
  | { readonly vector: MoveType }
  | { readonly datatype: string; readonly params?: ReadonlyArray<MoveType> }
  /** The function's type parameter at this index (generic framework functions). */
  | { readonly typeParameter: number }

export interface MoveParam {
  readonly ref?: "imm" | "mut"
  readonly type: MoveType
}

export const STD = normalizeSuiAddress("0x1")
export const SUI = normalizeSuiAddress("0x2")

export const StringT: MoveType = { datatype: `${STD}::string::String` }
export const optionT = (t: MoveType): MoveType => ({ datatype: `${STD}::option::Option`, params: [t] })
export const vectorT = (t: MoveType): MoveType => ({ vector: t })
export const ClockParam: MoveParam = { ref: "imm", type: { datatype: `${SUI}::clock::Clock` } }
export const TxContextParam = (mutable: boolean): MoveParam => ({
  ref: mutable ? "mut" : "imm",
  type: { datatype: `${SUI}::tx_context::TxContext` }
})

export const isTxContext = (p: MoveParam): boolean =>
  typeof p.type === "object" && "datatype" in p.type && p.type.datatype === `${SUI}::tx_context::TxContext`

const primitiveSchemas = new Map<string, BcsType<any, any> | undefined>()
const schemaCache = new WeakMap<object, BcsType<any, any> | null>()

/** The BCS schema of a pure argument of this type, or undefined for object/struct types (cached). */
export const pureSchema = (t: MoveType): BcsType<any, any> | undefined => {
  if (typeof t === "string") {
    if (!primitiveSchemas.has(t)) primitiveSchemas.set(t, buildPureSchema(t))
    return primitiveSchemas.get(t)
  }
  let s = schemaCache.get(t)
  if (s === undefined) {
    s = buildPureSchema(t) ?? null
    schemaCache.set(t, s)
  }
  return s ?? undefined
}

const buildPureSchema = (t: MoveType): BcsType<any, any> | undefined => {
  if (typeof t === "string") return primitiveBcs(t)
  if ("typeParameter" in t) return undefined
  if ("vector" in t) {
    if (t.vector === "u8") return bcs.byteVector()
    const inner = pureSchema(t.vector)
    return inner ? bcs.vector(inner) : undefined
  }
  if (t.datatype === `${STD}::string::String`) return bcs.string()
  if (t.datatype === `${STD}::option::Option`) {
    const inner = pureSchema(t.params![0]!)
    return inner ? bcs.option(inner) : undefined
  }
  if (t.datatype === `${SUI}::object::ID`) return bcs.Address
  return undefined
}

/** Canonical type string (`0x…::m::S<…>`) of a datatype parameter. */
export const typeString = (t: MoveType): string => {
  if (typeof t === "string") return t
  if ("typeParameter" in t) return `T${t.typeParameter}`
  if ("vector" in t) return `vector<${typeString(t.vector)}>`
  return t.params && t.params.length > 0 ? `${t.datatype}<${t.params.map(typeString).join(", ")}>` : t.datatype
}

const bodyOf = (t: MoveType): GrpcTypes.OpenSignatureBody => {
  const T = {
    address: 1, bool: 2, u8: 3, u16: 4, u32: 5, u64: 6, u128: 7, vector: 9, datatype: 10
  } as const
  if (typeof t === "string") return { type: T[t], typeParameterInstantiation: [] }
  if ("typeParameter" in t) return { type: 11, typeParameter: t.typeParameter, typeParameterInstantiation: [] }
  if ("vector" in t) return { type: T.vector, typeParameterInstantiation: [bodyOf(t.vector)] }
  return { type: T.datatype, typeName: t.datatype, typeParameterInstantiation: (t.params ?? []).map(bodyOf) }
}

/** `OpenSignature` for GetFunction. */
export const openSignature = (p: MoveParam): GrpcTypes.OpenSignature => ({
  ...(p.ref ? { reference: p.ref === "mut" ? 2 : 1 } : {}),
  body: bodyOf(p.type)
})

/** Raised by Move code; turns into a failed execution status with the abort location. */
export class MoveAbort extends Error {
  constructor(
    readonly packageId: string,
    readonly module: string,
    readonly functionName: string,
    readonly code: bigint,
    message: string
  ) {
    super(message)
  }
}

/** An object value flowing between PTB commands (by value, not yet stored). */
export interface StructValue {
  readonly _struct: string // full type string
  readonly value: unknown
  readonly layout: MoveLayout
  /** For key objects: the record to store when transferred. */
  readonly object?: ObjRecord
}

export interface MoveCtx {
  readonly packageId: string
  readonly sender: string
  readonly store: ObjectStore
  readonly journal: TxJournal
  /** Chain time (Clock::timestamp_ms). */
  readonly nowMs: bigint
  /** Fresh object id derived from the transaction digest. */
  newId(): string
  /** Creates and stores a new object (version assigned when the transaction commits). */
  createObject(args: {
    id: string
    type: string
    owner: OwnerRec
    data: ObjData
    hasPublicTransfer: boolean
    dynamicField?: ObjRecord["dynamicField"]
  }): ObjRecord
  emit(module: string, name: string, layout: MoveLayout, value: unknown): void
  /** Aborts the transaction; the location defaults to the coordination package. */
  abort(module: string, fn: string, code: bigint, message: string, packageId?: string): never
}

/** A Move function of the coordination package implemented in TypeScript. */
export interface MoveFunction {
  readonly module: string
  readonly name: string
  readonly params: ReadonlyArray<MoveParam>
  readonly returns: ReadonlyArray<MoveParam>
  readonly returnSchemas?: ReadonlyArray<BcsType<any, any>>
  /** Receives the arguments without TxContext: object args as ObjRecord, pure as decoded values. */
  readonly run: (ctx: MoveCtx, args: unknown[]) => unknown[]
}
