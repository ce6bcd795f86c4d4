/**
 * A small description language for Move value layouts, with BCS encoding (through `@mysten/bcs`
 * schemas built once per layout) and the JSON rendering Sui full nodes use for the `json` field of
 * objects and events: u8/u16/u32 as numbers, u64 and wider as decimal strings, `address`, `UID`
 * and `ID` as `0x…` strings, `String` as text, `vector<u8>` as base64, `Option` as value or null,
 * enums as `{"@variant": name, …fields}` (positional fields are `pos0`, `pos1`, …).
 *
 * JS values: integers ≥ 64 bits are bigint, smaller ones number, addresses/ids are `0x…` hex,
 * strings are strings, `vector<u8>` is a Uint8Array, options are value-or-null, structs are plain
 * objects, enums are `{ $kind: Variant, …fields }`.
 */
import { bcs, type BcsType } from "@mysten/sui/bcs"
import { toBase64 } from "@mysten/sui/utils"
import type { GrpcTypes } from "@mysten/sui/grpc"

export type MoveLayout =
  | "u8" | "u16" | "u32" | "u64" | "u128" | "bool" | "address" | "string" | "uid" | "id" | "bytes"
  | { readonly vec: MoveLayout }
  | { readonly opt: MoveLayout }
  | { readonly struct: string; readonly fields: ReadonlyArray<readonly [string, MoveLayout]> }
  | { readonly enum: string; readonly variants: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, MoveLayout]>]> }

export const vec = (inner: MoveLayout): MoveLayout => ({ vec: inner })
export const opt = (inner: MoveLayout): MoveLayout => ({ opt: inner })
export const struct = (name: string, fields: ReadonlyArray<readonly [string, MoveLayout]>): MoveLayout => ({ struct: name, fields })
/** `0x2::vec_set::VecSet<T>` */
export const vecSet = (inner: MoveLayout): MoveLayout => struct("VecSet", [["contents", vec(inner)]])
/** `0x2::vec_map::VecMap<K, V>` */
export const vecMap = (k: MoveLayout, v: MoveLayout): MoveLayout =>
  struct("VecMap", [["contents", vec(struct("Entry", [["key", k], ["value", v]]))]])
/** `0x2::object_table::ObjectTable<K, V>` (and `Table`) */
export const objectTable: MoveLayout = struct("ObjectTable", [["id", "uid"], ["size", "u64"]])

const schemaCache = new WeakMap<object, BcsType<any, any>>()

/** The `@mysten/bcs` schema for a layout (cached for object layouts). */
export const bcsSchema = (layout: MoveLayout): BcsType<any, any> => {
  if (typeof layout === "string") {
    switch (layout) {
      case "u8": return bcs.u8()
      case "u16": return bcs.u16()
      case "u32": return bcs.u32()
      case "u64": return bcs.u64()
      case "u128": return bcs.u128()
      case "bool": return bcs.bool()
      case "address": case "uid": case "id": return bcs.Address
      case "string": return bcs.string()
      case "bytes": return bcs.byteVector()
    }
  }
  const cached = schemaCache.get(layout)
  if (cached) return cached
  let schema: BcsType<any, any>
  if ("vec" in layout) schema = bcs.vector(bcsSchema(layout.vec))
  else if ("opt" in layout) schema = bcs.option(bcsSchema(layout.opt))
  else if ("struct" in layout) {
    schema = bcs.struct(layout.struct, Object.fromEntries(layout.fields.map(([n, l]) => [n, bcsSchema(l)])))
  } else {
    schema = bcs.enum(
      layout.enum,
      Object.fromEntries(
        layout.variants.map(([n, fields]) => [
          n,
          fields.length === 0 ? null : bcs.struct(n, Object.fromEntries(fields.map(([f, l]) => [f, bcsSchema(l)])))
        ])
      )
    )
  }
  schemaCache.set(layout, schema)
  return schema
}

/** Converts a JS value to the input shape `@mysten/bcs` expects (enums become `{Variant: …}`). */
const toBcsInput = (layout: MoveLayout, value: any): any => {
  if (typeof layout === "string") return value
  if ("vec" in layout) return typeof layout.vec === "string" ? value : (value as any[]).map((v) => toBcsInput(layout.vec, v))
  if ("opt" in layout) return value === null || value === undefined ? null : toBcsInput(layout.opt, value)
  if ("struct" in layout) {
    const out: Record<string, unknown> = {}
    for (const [n, l] of layout.fields) out[n] = toBcsInput(l, value[n])
    return out
  }
  const variant = layout.variants.find(([n]) => n === value.$kind)
  if (!variant) throw new Error(`unknown variant ${String(value.$kind)} of ${layout.enum}`)
  if (variant[1].length === 0) return { [variant[0]]: true }
  const fields: Record<string, unknown> = {}
  for (const [n, l] of variant[1]) fields[n] = toBcsInput(l, value[n])
  return { [variant[0]]: fields }
}

/** BCS bytes of a value. */
export const encodeMove = (layout: MoveLayout, value: unknown): Uint8Array =>
  bcsSchema(layout).serialize(toBcsInput(layout, value)).toBytes()

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** The full node JSON rendering of a value. */
export const moveJson = (layout: MoveLayout, value: any): Json => {
  if (typeof layout === "string") {
    switch (layout) {
      case "u8": case "u16": case "u32": return Number(value)
      case "u64": case "u128": return String(value)
      case "bool": return Boolean(value)
      case "address": case "uid": case "id": case "string": return String(value)
      case "bytes": return toBase64(value as Uint8Array)
    }
  }
  if ("vec" in layout) {
    if (layout.vec === "u8") return toBase64(Uint8Array.from(value as ArrayLike<number>))
    return (value as any[]).map((v) => moveJson(layout.vec, v))
  }
  if ("opt" in layout) return value === null || value === undefined ? null : moveJson(layout.opt, value)
  if ("struct" in layout) {
    const out: { [k: string]: Json } = {}
    for (const [n, l] of layout.fields) out[n] = moveJson(l, value[n])
    return out
  }
  const variant = layout.variants.find(([n]) => n === value.$kind)
  if (!variant) throw new Error(`unknown variant ${String(value.$kind)} of ${layout.enum}`)
  const out: { [k: string]: Json } = { "@variant": variant[0] }
  for (const [n, l] of variant[1]) out[n] = moveJson(l, value[n])
  return out
}

/** `google.protobuf.Value` (protobuf-ts shape) of a JSON value. */
export const jsonToProtoValue = (json: Json): GrpcValue => {
  if (json === null) return { kind: { oneofKind: "nullValue", nullValue: 0 } }
  if (typeof json === "boolean") return { kind: { oneofKind: "boolValue", boolValue: json } }
  if (typeof json === "number") return { kind: { oneofKind: "numberValue", numberValue: json } }
  if (typeof json === "string") return { kind: { oneofKind: "stringValue", stringValue: json } }
  if (Array.isArray(json)) return { kind: { oneofKind: "listValue", listValue: { values: json.map(jsonToProtoValue) } } }
  const fields: Record<string, GrpcValue> = {}
  for (const [k, v] of Object.entries(json)) fields[k] = jsonToProtoValue(v)
  return { kind: { oneofKind: "structValue", structValue: { fields } } }
}

/** The protobuf `Value` type used by `Object.json` / `Event.json`. */
export type GrpcValue = NonNullable<GrpcTypes.Object["json"]>
