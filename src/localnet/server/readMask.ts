/**
 * Field masks (`google.protobuf.FieldMask`) applied to protobuf-ts messages by reflection, the way
 * a Sui full node trims its answers: only the listed fields (snake_case proto paths, nested with
 * dots) are copied; a path naming a message copies it whole; a path through a repeated message
 * applies the rest of the path to every element.
 */
import type { IMessageType } from "@protobuf-ts/runtime"

/** A parsed mask: `true` = the whole field, otherwise the sub-fields to keep. */
export type MaskTree = Map<string, MaskTree | true>

/** Parses mask paths (`"effects.status"`, `"transaction.sender"`) into a tree. */
export const parseMask = (paths: ReadonlyArray<string>): MaskTree => {
  const root: MaskTree = new Map()
  for (const raw of paths) {
    for (const path of raw.split(",")) {
      const parts = path.trim().split(".").filter((p) => p.length > 0)
      if (parts.length === 0) continue
      let node = root
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!
        const existing = node.get(part)
        if (existing === true) break
        if (i === parts.length - 1) {
          node.set(part, true)
          break
        }
        if (existing === undefined) {
          const child: MaskTree = new Map()
          node.set(part, child)
          node = child
        } else {
          node = existing
        }
      }
    }
  }
  return root
}

/** Mask paths from a request, or the method's documented default when the request has none. */
export const maskOf = (readMask: { paths: string[] } | undefined, defaults: ReadonlyArray<string>): MaskTree =>
  parseMask(readMask !== undefined && readMask.paths.length > 0 ? readMask.paths : defaults)

/** The sub-tree under `field` (`undefined` = field not requested, `true` = whole field). */
export const subMask = (mask: MaskTree, field: string): MaskTree | true | undefined => mask.get(field)

/** Returns a copy of `message` that holds only the fields selected by `mask`. */
export const applyMask = <T extends object>(type: IMessageType<T>, message: T, mask: MaskTree | true): T => {
  if (mask === true) return message
  const out = type.create() as Record<string, unknown>
  const src = message as Record<string, unknown>
  for (const field of type.fields) {
    const selected = mask.get(field.name)
    if (selected === undefined) continue
    if (field.oneof !== undefined) {
      const group = src[field.oneof] as { oneofKind: string | undefined; [k: string]: unknown } | undefined
      if (group === undefined || group.oneofKind !== field.localName) continue
      const value = group[field.localName]
      out[field.oneof] = {
        oneofKind: field.localName,
        [field.localName]: selected !== true && field.kind === "message" ? applyMask(field.T(), value as object, selected) : value
      }
      continue
    }
    const value = src[field.localName]
    if (value === undefined) continue
    if (selected === true || field.kind !== "message") {
      out[field.localName] = value
    } else if (field.repeat) {
      const inner = field.T()
      out[field.localName] = (value as object[]).map((v) => applyMask(inner, v, selected))
    } else {
      out[field.localName] = applyMask(field.T(), value as object, selected)
    }
  }
  return out as T
}

/** Checks every path names a real field, so a typo answers INVALID_ARGUMENT like a full node. */
export const validateMask = (type: IMessageType<object>, mask: MaskTree, prefix = ""): string | undefined => {
  for (const [name, sub] of mask) {
    const field = type.fields.find((f) => f.name === name)
    if (field === undefined) return `invalid read_mask path: ${prefix}${name}`
    if (sub !== true) {
      if (field.kind !== "message") return `invalid read_mask path: ${prefix}${name} has no sub-fields`
      const bad = validateMask(field.T() as IMessageType<object>, sub, `${prefix}${name}.`)
      if (bad !== undefined) return bad
    }
  }
  return undefined
}
