/**
 * Fast protobuf encoding of masked answers. protobuf-ts encodes by reflection, which is slow for
 * the big, JSON-rich messages the node streams (`google.protobuf.Value` renderings of every event
 * and object). Here sub-messages are encoded separately and appended as length-delimited fields
 * (protobuf permits any field order), `Value`/`Struct`/`ListValue` have a hand-written encoder,
 * and encodings of immutable data (sealed checkpoints, their events) are cached per read mask.
 */
import type { IMessageType } from "@protobuf-ts/runtime"
import type { MaskTree } from "./readMask.js"

interface JsonValue {
  kind:
    | { oneofKind: "nullValue"; nullValue: number }
    | { oneofKind: "numberValue"; numberValue: number }
    | { oneofKind: "stringValue"; stringValue: string }
    | { oneofKind: "boolValue"; boolValue: boolean }
    | { oneofKind: "structValue"; structValue: { fields: Record<string, JsonValue> } }
    | { oneofKind: "listValue"; listValue: { values: JsonValue[] } }
    | { oneofKind: undefined }
}

/** A growable byte buffer with the protobuf primitives this file needs. */
class Bytes {
  buf = new Uint8Array(256)
  len = 0

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  varint(v: number): void {
    this.ensure(10)
    while (v > 0x7f) {
      this.buf[this.len++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[this.len++] = v
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buf.set(bytes, this.len)
    this.len += bytes.length
  }

  double(v: number): void {
    this.ensure(8)
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 8).setFloat64(0, v, true)
    this.len += 8
  }

  string(s: string): void {
    // Worst case 3 bytes per UTF-16 unit; write after a 5-byte length slot, then fix it up.
    this.ensure(5 + s.length * 3)
    const start = this.len + 5
    const { written } = encoder.encodeInto(s, this.buf.subarray(start))
    this.fixLength(start, written)
  }

  /** Opens a length-delimited region; `close(mark)` writes its length in front. */
  open(): number {
    this.ensure(5)
    this.len += 5
    return this.len
  }

  close(start: number): void {
    this.fixLength(start, this.len - start)
  }

  /** Moves `n` bytes written at `start` (after a 5-byte slot) right behind their varint length. */
  private fixLength(start: number, n: number): void {
    const slot = start - 5
    let v = n
    let k = 0
    const tmp = [0, 0, 0, 0, 0]
    do {
      tmp[k++] = v > 0x7f ? (v & 0x7f) | 0x80 : v
      v = Math.floor(v / 128)
    } while (v > 0)
    for (let i = 0; i < k; i++) this.buf[slot + i] = tmp[i]!
    if (k < 5) this.buf.copyWithin(slot + k, start, start + n)
    this.len = slot + k + n
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

const encoder = new TextEncoder()

const writeValue = (out: Bytes, v: JsonValue): void => {
  const k = v.kind
  switch (k.oneofKind) {
    case "nullValue":
      out.tag(1, 0)
      out.varint(k.nullValue)
      return
    case "numberValue":
      out.tag(2, 1)
      out.double(k.numberValue)
      return
    case "stringValue":
      out.tag(3, 2)
      out.string(k.stringValue)
      return
    case "boolValue":
      out.tag(4, 0)
      out.varint(k.boolValue ? 1 : 0)
      return
    case "structValue": {
      out.tag(5, 2)
      const s = out.open()
      for (const key in k.structValue.fields) {
        out.tag(1, 2)
        const entry = out.open()
        out.tag(1, 2)
        out.string(key)
        out.tag(2, 2)
        const val = out.open()
        writeValue(out, k.structValue.fields[key]!)
        out.close(val)
        out.close(entry)
      }
      out.close(s)
      return
    }
    case "listValue": {
      out.tag(6, 2)
      const l = out.open()
      for (const item of k.listValue.values) {
        out.tag(1, 2)
        const e = out.open()
        writeValue(out, item)
        out.close(e)
      }
      out.close(l)
      return
    }
    default:
      return
  }
}

const VALUE_TYPE = "google.protobuf.Value"

/** Per-object cache of encodings by mask key; only for objects that never change. */
const cache = new WeakMap<object, Map<string, Uint8Array>>()

const maskKey = (mask: MaskTree | true): string => {
  if (mask === true) return "*"
  const parts: string[] = []
  for (const [k, v] of mask) parts.push(v === true ? k : `${k}(${maskKey(v)})`)
  return parts.join(",")
}

/**
 * Encodes the fields of `message` selected by `mask` (as `applyMask` + `toBinary` would, up to
 * field order). With `cacheable`, encodings of message objects are memoised per mask.
 */
export const encodeMasked = <T extends object>(type: IMessageType<T>, message: T, mask: MaskTree | true, cacheable = false): Uint8Array => {
  const key = cacheable ? maskKey(mask) : ""
  if (cacheable) {
    const hit = cache.get(message)?.get(key)
    if (hit !== undefined) return hit
  }
  const out = new Bytes()
  write(out, type as IMessageType<object>, message, mask)
  const bytes = out.result()
  if (cacheable) {
    let m = cache.get(message)
    if (m === undefined) cache.set(message, (m = new Map()))
    m.set(key, bytes)
  }
  return bytes
}

const write = (out: Bytes, type: IMessageType<object>, message: object, mask: MaskTree | true): void => {
  if (type.typeName === VALUE_TYPE) {
    writeValue(out, message as JsonValue)
    return
  }
  const src = message as Record<string, unknown>
  let shallow: Record<string, unknown> | undefined
  const nested: Array<() => void> = []
  for (const field of type.fields) {
    const selected = mask === true ? true : mask.get(field.name)
    if (selected === undefined) continue
    if (field.oneof !== undefined) {
      const group = src[field.oneof] as { oneofKind: string | undefined; [k: string]: unknown } | undefined
      if (group === undefined || group.oneofKind !== field.localName) continue
      const value = group[field.localName]
      if (field.kind === "message") {
        const T = field.T() as IMessageType<object>
        nested.push(() => writeNested(out, field.no, T, value as object, selected))
      } else {
        shallow ??= type.create() as Record<string, unknown>
        shallow[field.oneof] = { oneofKind: field.localName, [field.localName]: value }
      }
      continue
    }
    const value = src[field.localName]
    if (value === undefined) continue
    if (field.kind === "message") {
      const T = field.T() as IMessageType<object>
      if (field.repeat) {
        const items = value as object[]
        nested.push(() => {
          for (const item of items) writeNested(out, field.no, T, item, selected)
        })
      } else {
        nested.push(() => writeNested(out, field.no, T, value as object, selected))
      }
    } else if (field.kind === "map" && field.V.kind === "message") {
      const V = field.V.T() as IMessageType<object>
      const entries = value as Record<string, object>
      nested.push(() => {
        for (const k in entries) {
          out.tag(field.no, 2)
          const e = out.open()
          out.tag(1, 2)
          out.string(k)
          writeNested(out, 2, V, entries[k]!, true)
          out.close(e)
        }
      })
    } else {
      shallow ??= type.create() as Record<string, unknown>
      shallow[field.localName] = value
    }
  }
  if (shallow !== undefined) out.raw(type.toBinary(shallow, { writeUnknownFields: false }))
  for (const n of nested) n()
}

const writeNested = (out: Bytes, no: number, type: IMessageType<object>, value: object, mask: MaskTree | true): void => {
  out.tag(no, 2)
  const start = out.open()
  write(out, type, value, mask)
  out.close(start)
}

/** Concatenates already-encoded sub-messages as length-delimited fields: one message's bytes. */
export const frame = (fields: ReadonlyArray<readonly [number, Uint8Array | undefined]>): Uint8Array => {
  const out = new Bytes()
  for (const [no, bytes] of fields) {
    if (bytes === undefined) continue
    out.tag(no, 2)
    out.varint(bytes.length)
    out.raw(bytes)
  }
  return out.result()
}

/** A mask selecting `field` with `sub` (and optionally other whole fields). */
export const maskWith = (field: string, sub: MaskTree | true, ...whole: string[]): MaskTree => {
  const m: MaskTree = new Map([[field, sub]])
  for (const w of whole) m.set(w, true)
  return m
}

export { maskKey }

/** Field numbers of a message type by proto field name, read from the shipped descriptors. */
export const fieldNumbers = (type: IMessageType<object>): Readonly<Record<string, number>> =>
  Object.fromEntries(type.fields.map((f) => [f.name, f.no]))
