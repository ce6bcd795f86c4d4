/**
 * A transaction's inputs as its commands see them: each owned or shared object checked as Sui's
 * input checks do (crates/sui-transaction-checks; the texts of `UserInputError`), pure values
 * passed through, and which objects the transaction will bump whatever happens.
 */
import { LocalnetTxError, userInput } from "./errors.js"
import { inputObject, inputPure } from "./ptb.js"
import type { Val as PtbValue } from "./ptbScope.js"
import type { ObjectStore, ObjRecord } from "./store.js"
import type { ObjRef, TxData } from "./txdata.js"

/**
 * Checks an owned object reference against the live object, in the order and with the errors of
 * Sui's input checks. Executed transactions are applied at once here, so an older version is
 * always stale (a full node's early validation answers the same once the competing transaction
 * has executed); a lock conflict (`ObjectLockConflict`) only arises from the injected fault.
 */
export const checkOwnedRef = (store: ObjectStore, r: ObjRef, sender: string, allowImmutable: boolean): ObjRecord => {
  const rec = store.get(r.id)
  if (!rec) throw userInput.objectNotFound(r.id, r.version)
  if (rec.version !== r.version) {
    if (r.version < rec.version) throw userInput.versionUnavailable(r.id, r.version, r.digest, rec.version)
    throw userInput.versionTooHigh(r.id, r.version, rec.version)
  }
  if (rec.digest !== r.digest) throw userInput.invalidDigest(r.id, rec.digest)
  if (rec.owner.kind === "immutable" && allowImmutable) return rec
  if (rec.owner.kind === "shared") throw userInput.notOwned()
  if (rec.owner.kind !== "address") throw userInput.notOwned()
  if (rec.owner.address !== sender) throw userInput.notOwner(r.id, rec.owner.address, sender)
  return rec
}

/** The PTB's input values, each owned or shared object checked (when `checks`) as Sui checks it; `seen` collects the owned ids. */
export const inputValues = (store: ObjectStore, tx: TxData, checks: boolean, seen: Set<string>): PtbValue[] =>
  tx.inputs.map((i) => {
    switch (i.kind) {
      case "pure": return inputPure(i.bytes)
      case "owned": {
        if (seen.has(i.ref.id)) throw userInput.mutableUsedTwice(i.ref.id)
        seen.add(i.ref.id)
        const rec = checks ? checkOwnedRef(store, i.ref, tx.sender, true) : store.get(i.ref.id)
        if (!rec) throw userInput.objectNotFound(i.ref.id, i.ref.version)
        return inputObject(rec, rec.owner.kind === "address")
      }
      case "shared": {
        const rec = store.get(i.id)
        if (!rec) throw userInput.objectNotFound(i.id)
        if (rec.owner.kind !== "shared") throw userInput.notShared()
        if (rec.owner.initialVersion !== i.initialVersion) throw userInput.sharedStartMismatch()
        return inputObject(rec, i.mutable)
      }
      case "receiving": throw userInput.unsupported("Receiving inputs (not emulated by the localnet)")
      case "unresolved": throw new LocalnetTxError("BadRequest", `invalid transaction: input ${i.id} is not resolved`)
    }
  })

/** Objects whose versions are bumped whatever happens (gas, owned inputs, mutable shared inputs), and read-only shared ones. */
export const inputClasses = (tx: TxData, inputVals: ReadonlyArray<PtbValue>, gasRecs: ReadonlyArray<ObjRecord>) => {
  const mutableInputs: ObjRecord[] = [...gasRecs]
  const readOnlyShared: ObjRecord[] = []
  tx.inputs.forEach((i, idx) => {
    const v = inputVals[idx]!
    if (v.t !== "obj") return
    if (i.kind === "owned" && v.rec.owner.kind === "address") mutableInputs.push(v.rec)
    if (i.kind === "shared" && i.mutable) mutableInputs.push(v.rec)
    if (i.kind === "shared" && !i.mutable) readOnlyShared.push(v.rec)
  })
  return { mutableInputs, readOnlyShared }
}
