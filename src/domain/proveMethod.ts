/**
 * Which of an app's methods proves its sequences. An app's action creates a job for its new
 * sequence under a method of the app's own choosing (the demo's is `prove`); the coordinator must
 * use the same method when it proves a rejected leaf again. It takes the method of the job that
 * produced that leaf (remembered from the jobs it saw, bounded), else the instance's `prove`
 * method, else the instance's only method that is not the pipeline's `merge` or `settle`.
 */
import type { JobData } from "./job.js"
import { PROVE_METHOD, SETTLE_METHOD } from "./jobRank.js"

/** The method of the merge jobs `create_merge_job` creates. */
export const MERGE_METHOD = "merge"

/** A job an app created for sequences of a block (not one of the pipeline's merges or settlements). */
export const isProveJob = (d: Pick<JobData, "sequences" | "blockNumber" | "appInstanceMethod">): boolean =>
  d.sequences.length > 0 && d.blockNumber !== undefined && d.appInstanceMethod !== MERGE_METHOD && d.appInstanceMethod !== SETTLE_METHOD

const key = (instance: string, block: bigint, sequences: ReadonlyArray<bigint>) => `${instance}|${block}|${sequences.join(",")}`

/** The methods of the prove jobs seen, by (instance, block, sequences); the oldest are forgotten first. */
export class LeafMethods {
  private readonly methods = new Map<string, string>()
  constructor(readonly size = 100_000) {}

  remember(instance: string, block: bigint, sequences: ReadonlyArray<bigint>, method: string): void {
    const k = key(instance, block, sequences)
    this.methods.delete(k)
    this.methods.set(k, method)
    if (this.methods.size > this.size) this.methods.delete(this.methods.keys().next().value!)
  }

  get(instance: string, block: bigint, sequences: ReadonlyArray<bigint>): string | undefined {
    return this.methods.get(key(instance, block, sequences))
  }
}

/** The method to prove a leaf again with, or `undefined` when the instance's methods do not tell. */
export const proveMethodFor = (remembered: string | undefined, instanceMethods: Iterable<string>): string | undefined => {
  const methods = [...instanceMethods]
  if (remembered !== undefined && methods.includes(remembered)) return remembered
  if (methods.includes(PROVE_METHOD)) return PROVE_METHOD
  const own = methods.filter((m) => m !== MERGE_METHOD && m !== SETTLE_METHOD)
  return own.length === 1 ? own[0] : undefined
}
