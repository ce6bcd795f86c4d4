/**
 * The live object set: one record per object at its current version, indexed by owner (address
 * owners for `ListOwnedObjects`, object owners for `ListDynamicFields`). Only the live version is
 * kept, as on a pruning full node; `getObject(id, version)` answers for that version only.
 *
 * Writes during a transaction go through `TxJournal`, which remembers how to undo them: a Move
 * abort rolls every write back, only gas and version bumps survive, as on Sui.
 */
import type { MoveLayout } from "./moveValue.js"

export type OwnerRec =
  | { readonly kind: "address"; readonly address: string }
  | { readonly kind: "object"; readonly address: string }
  | { readonly kind: "shared"; readonly initialVersion: bigint }
  | { readonly kind: "immutable" }

/** The contents of a Move object: its layout and a way to read its value and to roll back. */
export interface ObjData {
  readonly layout: MoveLayout
  /** The value in the JS shape `moveValue.ts` encodes. */
  value(): unknown
  /** Starts tracking changes; the returned function restores the state at this point. */
  checkpoint(): () => void
  /** Called when the transaction that took the checkpoint committed. */
  commit?(): void
}

/**
 * A deep copy of a value in the JS shape of Move values (`moveValue.ts`: plain objects, arrays,
 * `Uint8Array`, primitives), a few times cheaper than `structuredClone` on the small objects a
 * transaction touches; anything of another kind is handed to `structuredClone`.
 */
export const cloneMoveValue = <T>(v: T): T => {
  if (v === null || typeof v !== "object") return v
  if (Array.isArray(v)) return v.map(cloneMoveValue) as T
  if (v instanceof Uint8Array) return new Uint8Array(v) as T
  if (Object.getPrototypeOf(v) !== Object.prototype) return structuredClone(v)
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v)) {
    const copy = cloneMoveValue((v as Record<string, unknown>)[k])
    if (k === "__proto__") Object.defineProperty(out, k, { value: copy, enumerable: true, writable: true, configurable: true })
    else out[k] = copy
  }
  return out as T
}

/** Plain data (small objects): rollback by keeping a deep copy. */
export class PlainData<T extends object> implements ObjData {
  constructor(
    readonly layout: MoveLayout,
    public v: T
  ) {}
  value(): unknown {
    return this.v
  }
  checkpoint(): () => void {
    const saved = cloneMoveValue(this.v)
    return () => {
      this.v = saved
    }
  }
}

export interface ObjRecord {
  readonly id: string
  version: bigint
  digest: string
  owner: OwnerRec
  readonly type: string
  previousTransaction: string
  storageRebate: bigint
  readonly hasPublicTransfer: boolean
  readonly data: ObjData
  /** Key of the dynamic field (BCS of the Wrapper) and its type, for field objects. */
  readonly dynamicField?: { readonly nameType: string; readonly nameBcs: Uint8Array; readonly childId: string }
  /** Package contents for the package object (served through `Object.package`). */
  readonly isPackage?: boolean
}

const ownerKey = (o: OwnerRec): string | undefined =>
  o.kind === "address" || o.kind === "object" ? o.address : undefined

export class ObjectStore {
  readonly objects = new Map<string, ObjRecord>()
  /** owner address (account or parent object) → ids, in insertion order. */
  readonly byOwner = new Map<string, Set<string>>()

  get(id: string): ObjRecord | undefined {
    return this.objects.get(id)
  }

  insert(rec: ObjRecord): void {
    this.objects.set(rec.id, rec)
    this.index(rec.id, rec.owner)
  }

  remove(id: string): ObjRecord | undefined {
    const rec = this.objects.get(id)
    if (!rec) return undefined
    this.objects.delete(id)
    this.unindex(id, rec.owner)
    return rec
  }

  setOwner(rec: ObjRecord, owner: OwnerRec): void {
    this.unindex(rec.id, rec.owner)
    rec.owner = owner
    this.index(rec.id, owner)
  }

  owned(owner: string): ReadonlySet<string> {
    return this.byOwner.get(owner) ?? new Set()
  }

  private index(id: string, owner: OwnerRec): void {
    const k = ownerKey(owner)
    if (k === undefined) return
    let s = this.byOwner.get(k)
    if (!s) this.byOwner.set(k, (s = new Set()))
    s.add(id)
  }

  private unindex(id: string, owner: OwnerRec): void {
    const k = ownerKey(owner)
    if (k === undefined) return
    const s = this.byOwner.get(k)
    if (!s) return
    s.delete(id)
    if (s.size === 0) this.byOwner.delete(k)
  }
}

/** Records the writes of one transaction so they can be rolled back or turned into effects. */
export class TxJournal {
  /** Objects written (mutated or created) by the transaction. */
  readonly written = new Map<string, ObjRecord>()
  readonly created = new Set<string>()
  readonly deleted = new Map<string, ObjRecord>()
  private readonly undo: Array<() => void> = []
  private readonly checkpointed = new Set<string>()

  constructor(readonly store: ObjectStore) {}

  /** Marks an existing object as mutated (its contents may change from here on). */
  mutate(rec: ObjRecord): void {
    if (!this.checkpointed.has(rec.id)) {
      this.checkpointed.add(rec.id)
      if (!this.created.has(rec.id)) this.undo.push(rec.data.checkpoint())
    }
    if (!this.deleted.has(rec.id)) this.written.set(rec.id, rec)
  }

  create(rec: ObjRecord): void {
    this.store.insert(rec)
    this.created.add(rec.id)
    this.checkpointed.add(rec.id)
    this.written.set(rec.id, rec)
    this.undo.push(() => {
      this.store.remove(rec.id)
    })
  }

  delete(id: string): void {
    const rec = this.store.remove(id)
    if (!rec) return
    this.written.delete(id)
    if (this.created.has(id)) {
      // created and deleted in the same transaction: it never existed for the outside
      this.created.delete(id)
    } else {
      this.deleted.set(id, rec)
    }
    this.undo.push(() => this.store.insert(rec))
  }

  transfer(rec: ObjRecord, owner: OwnerRec): void {
    this.mutate(rec)
    const before = rec.owner
    this.store.setOwner(rec, owner)
    this.undo.push(() => this.store.setOwner(rec, before))
  }

  /** Adds an arbitrary undo step (for data that tracks its own changes). */
  onRollback(fn: () => void): void {
    this.undo.push(fn)
  }

  /** Keeps every write; tells journaling data to stop tracking. */
  commit(): void {
    for (const id of this.checkpointed) this.store.get(id)?.data.commit?.()
    this.undo.length = 0
  }

  /** Undoes every write; the journal is empty afterwards. */
  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!()
    this.undo.length = 0
    for (const id of this.checkpointed) this.store.get(id)?.data.commit?.()
    this.written.clear()
    this.created.clear()
    this.deleted.clear()
    this.checkpointed.clear()
  }
}
