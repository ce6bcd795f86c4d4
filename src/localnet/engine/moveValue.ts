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
import { toBase64 } from "@mysten/sui/utils"
import type { GrpcTypes } from "@mysten/sui/grpc"
import type { MoveLayout } from "../../chain/moveLayout.js"

export { bcsSchema, encodeMove, type MoveLayout, objectTable, opt, struct, vec, vecMap, vecSet } from "../../chain/moveLayout.js"

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
