/**
 * The `rollback` fault: the node forgets its last N checkpoints, as a node restored from an older
 * backup does. The history keeps a snapshot every `depth` checkpoints (the last two) and every
 * change since the older one, so any rollback of up to `depth` checkpoints can be rebuilt: the
 * snapshot, then the changes replayed up to the target checkpoint.
 */
import type { ChainRecord, LocalChain, LocalChainSnapshot } from "../chain.js"
import { applyRecord } from "./durable.js"

interface Base {
  readonly snapshot: LocalChainSnapshot
  readonly height: bigint
  readonly records: ChainRecord[]
}

export class RewindHistory {
  private bases: Base[]
  private sealedSinceBase = 0

  constructor(
    private readonly chain: LocalChain,
    /** Checkpoints a rollback may always go back. */
    readonly depth: number
  ) {
    this.bases = [this.base()]
    chain.tapRecords((r) => this.onRecord(r))
  }

  private base(): Base {
    return { snapshot: this.chain.snapshot(), height: this.chain.latestSealed(), records: [] }
  }

  private onRecord(r: ChainRecord): void {
    this.bases[this.bases.length - 1]!.records.push(r)
    if (r.t !== "s") return
    this.sealedSinceBase += 1
    if (this.sealedSinceBase < this.depth) return
    // A new base right after this seal; the older of the two kept is dropped.
    this.sealedSinceBase = 0
    this.bases = [...this.bases.slice(-1), this.base()]
  }

  /** Rolls the chain back `n` checkpoints; returns the new tip. */
  rollback(n: number): bigint {
    if (!Number.isInteger(n) || n < 1) throw new Error("count must be a positive integer")
    const tip = this.chain.latestSealed()
    const target = tip - BigInt(n)
    const from = this.bases.findLastIndex((b) => b.height <= target)
    if (from < 0 || target < 0n) throw new Error(`cannot roll back ${n} checkpoints: history is kept for the last ${this.depth} at least`)
    const chosen = this.bases[from]!
    const records = this.bases.slice(from).flatMap((b) => b.records)
    this.chain.resetTo(chosen.snapshot, records, target, applyRecord)
    // The rebuilt state is the new base: what came after the target never happened.
    this.bases = [this.base()]
    this.sealedSinceBase = 0
    return this.chain.latestSealed()
  }
}
