/**
 * Lossless JSON for snapshot data: bigint → `{"$n": "…"}`, Uint8Array → `{"$b": base64}`,
 * Map/Set are expected to be converted by their owners beforehand.
 */
import { fromBase64, toBase64 } from "@mysten/sui/utils"

export const toJsonable = (x: unknown): unknown => {
  if (typeof x === "bigint") return { $n: x.toString() }
  if (x instanceof Uint8Array) return { $b: toBase64(x) }
  if (Array.isArray(x)) return x.map(toJsonable)
  if (x && typeof x === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = toJsonable(v)
    return out
  }
  return x
}

export const fromJsonable = (x: unknown): any => {
  if (Array.isArray(x)) return x.map(fromJsonable)
  if (x && typeof x === "object") {
    const o = x as Record<string, unknown>
    if (typeof o.$n === "string" && Object.keys(o).length === 1) return BigInt(o.$n)
    if (typeof o.$b === "string" && Object.keys(o).length === 1) return fromBase64(o.$b)
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(o)) out[k] = fromJsonable(v)
    return out
  }
  return x
}
