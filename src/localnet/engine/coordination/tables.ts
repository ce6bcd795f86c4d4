/**
 * `sui::object_table` semantics over the store: entries are dynamic object fields whose ids Sui
 * derives from (table id, `Wrapper<K>` type tag, BCS key); the field object is owned by the table
 * and holds the child's id, the child is owned by the field.
 */
import { deriveFieldId } from "../crypto.js"
import { dofFieldLayout } from "../layouts.js"
import type { MoveLayout } from "../moveValue.js"
import { encodeMove } from "../moveValue.js"
import { PlainData, type ObjData, type ObjRecord } from "../store.js"
import { STD, SUI, type MoveCtx } from "../runtime.js"

export interface TableKey {
  /** Move type of K, e.g. `0x1::string::String`, `address`, `u64`. */
  readonly typeName: string
  readonly layout: MoveLayout
}

export const StringKey: TableKey = { typeName: `${STD}::string::String`, layout: "string" }
export const AddressKey: TableKey = { typeName: "address", layout: "address" }

const wrapperType = (k: TableKey): string => `${SUI}::dynamic_object_field::Wrapper<${k.typeName}>`

export const fieldIdOf = (tableId: string, key: TableKey, value: unknown): string =>
  deriveFieldId(tableId, wrapperType(key), encodeMove(key.layout, value))

/** `object_table::contains` */
export const tableContains = (ctx: MoveCtx, tableId: string, key: TableKey, value: unknown): boolean =>
  ctx.store.get(fieldIdOf(tableId, key, value)) !== undefined

/** `object_table::borrow(_mut)`; aborts like `dynamic_field::borrow_child_object` when missing. */
export const tableBorrow = (ctx: MoveCtx, tableId: string, key: TableKey, value: unknown): ObjRecord => {
  const field = ctx.store.get(fieldIdOf(tableId, key, value))
  const child = field?.dynamicField ? ctx.store.get(field.dynamicField.childId) : undefined
  if (!child) ctx.abort("dynamic_field", "borrow_child_object", 1n, `no entry ${String(value)} in table ${tableId}`, SUI)
  return child
}

/** `object_table::add`; aborts with `EFieldAlreadyExists` (0) on a duplicate key. */
export const tableAdd = (
  ctx: MoveCtx,
  table: { id: string; size: bigint },
  key: TableKey,
  value: unknown,
  child: { id: string; type: string; data: ObjData }
): ObjRecord => {
  const fieldId = fieldIdOf(table.id, key, value)
  if (ctx.store.get(fieldId)) ctx.abort("dynamic_field", "add", 0n, `duplicate key ${String(value)} in table ${table.id}`, SUI)
  ctx.createObject({
    id: fieldId,
    type: `${SUI}::dynamic_field::Field<${wrapperType(key)}, ${SUI}::object::ID>`,
    owner: { kind: "object", address: table.id },
    data: new PlainData(dofFieldLayout(key.layout), { id: fieldId, name: { name: value }, value: child.id }),
    hasPublicTransfer: false,
    dynamicField: { nameType: wrapperType(key), nameBcs: encodeMove(key.layout, value), childId: child.id }
  })
  table.size += 1n
  return ctx.createObject({ ...child, owner: { kind: "object", address: fieldId }, hasPublicTransfer: true })
}

/** `object_table::remove`: deletes the field and hands back the child, which the caller deletes or keeps. */
export const tableRemove = (ctx: MoveCtx, table: { id: string; size: bigint }, key: TableKey, value: unknown): ObjRecord => {
  const fieldId = fieldIdOf(table.id, key, value)
  const field = ctx.store.get(fieldId)
  const child = field?.dynamicField ? ctx.store.get(field.dynamicField.childId) : undefined
  if (!child) ctx.abort("dynamic_field", "remove_child_object", 1n, `no entry ${String(value)} in table ${table.id}`, SUI)
  ctx.journal.delete(fieldId)
  table.size -= 1n
  return child
}
