/**
 * The effects of an executed transaction: its lamport version, each changed object's input and
 * output state (new versions and digests written to the store unless it is a simulation), the
 * transactions it depends on, and the balance changes.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { effectsDigest, objectDigest } from "./crypto.js"
import { balanceChangesOf, type Prior } from "./effects.js"
import { ownerToProto } from "./objects.js"
import type { ObjectStore, ObjRecord, TxJournal } from "./store.js"

export interface EffectsInput {
  readonly store: ObjectStore
  readonly epoch: bigint
  readonly digest: string
  readonly status: GrpcTypes.ExecutionStatus
  readonly gas: { readonly computation: bigint; readonly storage: bigint; readonly rebate: bigint; readonly nonRefundable: bigint }
  readonly journal: TxJournal
  readonly mutableInputs: ReadonlyArray<ObjRecord>
  readonly readOnlyShared: ReadonlyArray<ObjRecord>
  readonly priorOf: ReadonlyMap<string, Prior>
  readonly gasCoin: ObjRecord | undefined
  /** Write the new versions into the store's records (false in a simulation). */
  readonly commit: boolean
  /** The storage fee an object written now pays (its rebate later). */
  readonly storagePrice: (rec: ObjRecord) => bigint
}

/** One more than the highest version among the inputs and the objects the transaction touched. */
const lamportVersion = (x: EffectsInput): bigint => {
  let lamport = 0n
  for (const r of x.mutableInputs) {
    const v = x.priorOf.get(r.id)?.version ?? r.version
    if (v > lamport) lamport = v
  }
  for (const r of x.readOnlyShared) if (r.version > lamport) lamport = r.version
  for (const [, p] of x.priorOf) if (p.version > lamport) lamport = p.version
  return lamport + 1n
}

/** Written and mutable-input objects: their changes (new versions committed unless simulating) and dependencies. */
const writtenChanges = (x: EffectsInput, lamport: bigint, touched: ReadonlyMap<string, ObjRecord>) => {
  const changed: GrpcTypes.ChangedObject[] = []
  const dependencies = new Set<string>()
  for (const [id, rec] of touched) {
    const prior = x.priorOf.get(id)
    const createdNow = x.journal.created.has(id)
    const outDigest = objectDigest(id, lamport, x.digest)
    if (prior?.version !== undefined && !createdNow) {
      const prev = x.store.get(id)?.previousTransaction
      if (prev) dependencies.add(prev)
    }
    if (rec.owner.kind === "shared" && rec.owner.initialVersion === 0n && x.commit) rec.owner = { kind: "shared", initialVersion: lamport }
    const outOwner = rec.owner.kind === "shared" && rec.owner.initialVersion === 0n ? { kind: "shared" as const, initialVersion: lamport } : rec.owner
    changed.push({
      objectId: id,
      inputState: createdNow ? 1 : 2,
      ...(createdNow ? {} : { inputVersion: prior!.version, inputDigest: prior!.digest, inputOwner: ownerToProto(prior!.owner) }),
      outputState: 2,
      outputVersion: lamport,
      outputDigest: outDigest,
      outputOwner: ownerToProto(outOwner),
      idOperation: createdNow ? 2 : 1,
      objectType: rec.type
    })
    if (x.commit) {
      rec.version = lamport
      rec.digest = outDigest
      rec.previousTransaction = x.digest
      rec.storageRebate = x.storagePrice(rec)
    }
  }
  return { changed, dependencies }
}

/** Deleted objects, as changes from their prior state to nothing. */
const deletedChanges = (x: EffectsInput): GrpcTypes.ChangedObject[] =>
  [...x.journal.deleted].map(([id, rec]) => {
    const prior = x.priorOf.get(id) ?? { version: rec.version, digest: rec.digest, owner: rec.owner }
    return {
      objectId: id,
      inputState: 2,
      inputVersion: prior.version,
      inputDigest: prior.digest,
      inputOwner: ownerToProto(prior.owner),
      outputState: 1,
      idOperation: 3,
      objectType: rec.type
    }
  })

/** The transaction's effects (without its events digest, which the caller adds) and balance changes. */
export const transactionEffects = (x: EffectsInput) => {
  const lamport = lamportVersion(x)
  const touched = new Map<string, ObjRecord>()
  for (const r of x.mutableInputs) if (x.store.get(r.id)) touched.set(r.id, r)
  for (const [id, r] of x.journal.written) touched.set(id, r)
  const { changed, dependencies } = writtenChanges(x, lamport, touched)
  changed.push(...deletedChanges(x))
  changed.sort((a, b) => (a.objectId! < b.objectId! ? -1 : a.objectId! > b.objectId! ? 1 : 0))
  const balanceChanges = balanceChangesOf(touched, x.journal, x.priorOf)
  const gasChange = x.gasCoin ? changed.find((c) => c.objectId === x.gasCoin!.id) : undefined
  const { computation, storage, rebate, nonRefundable } = x.gas
  const effects: GrpcTypes.TransactionEffects = {
    version: 2,
    status: x.status,
    epoch: x.epoch,
    gasUsed: { computationCost: computation, storageCost: storage, storageRebate: rebate, nonRefundableStorageFee: nonRefundable },
    transactionDigest: x.digest,
    ...(gasChange ? { gasObject: gasChange } : {}),
    dependencies: [...dependencies],
    lamportVersion: lamport,
    changedObjects: changed,
    unchangedConsensusObjects: x.readOnlyShared.map((r) => ({ kind: 1, objectId: r.id, version: r.version, digest: r.digest, objectType: r.type })),
    unchangedLoadedRuntimeObjects: []
  }
  effects.digest = effectsDigest(new TextEncoder().encode(`${x.digest}:${lamport}:${x.status.success ? 1 : 0}`))
  return { effects, balanceChanges }
}
