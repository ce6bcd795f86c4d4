/**
 * What `SimulateTransaction` does to inputs the SDK leaves unresolved (object ids only): shared
 * objects become shared inputs with their initial version, mutable when any command needs them
 * mutably (a `&mut` parameter, by value, or a coin command); other objects become owned
 * references at their live version and digest.
 */
import { userInput } from "./errors.js"
import { isTxContext, type MoveFunction } from "./runtime.js"
import type { ObjectStore } from "./store.js"
import type { TxData, TxInput } from "./txdata.js"

const usedMutably = (tx: TxData, index: number, functions: ReadonlyMap<string, MoveFunction>, pkg: string): boolean => {
  let mutable = false
  for (const c of tx.commands) {
    const args =
      c.kind === "moveCall" ? c.args
      : c.kind === "splitCoins" ? [c.coin, ...c.amounts]
      : c.kind === "mergeCoins" ? [c.coin, ...c.sources]
      : c.kind === "transferObjects" ? [...c.objects, c.address]
      : c.kind === "makeMoveVec" ? c.elements
      : []
    args.forEach((a, i) => {
      if (a.kind !== "input" || a.index !== index) return
      if (c.kind !== "moveCall") {
        mutable = true
        return
      }
      const fn = c.package === pkg ? functions.get(`${c.module}::${c.function}`) : undefined
      const p = fn?.params.filter((x) => !isTxContext(x))[i]
      if (!p || p.ref !== "imm") mutable = true
    })
  }
  return mutable
}

/** Fills unresolved object inputs the way SimulateTransaction does. */
export const resolveInputs = (env: { store: ObjectStore; functions: ReadonlyMap<string, MoveFunction>; packageId: string }, tx: TxData): TxData => {
  if (!tx.inputs.some((i) => i.kind === "unresolved")) return tx
  const inputs = tx.inputs.map((i, index): TxInput => {
    if (i.kind !== "unresolved") return i
    const rec = env.store.get(i.id)
    if (!rec) throw userInput.objectNotFound(i.id)
    if (rec.owner.kind === "shared") {
      return { kind: "shared", id: rec.id, initialVersion: rec.owner.initialVersion, mutable: i.mutable ?? usedMutably(tx, index, env.functions, env.packageId) }
    }
    return { kind: "owned", ref: { id: rec.id, version: i.version ?? rec.version, digest: i.digest ?? rec.digest } }
  })
  return { ...tx, inputs }
}

