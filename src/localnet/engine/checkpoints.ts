/**
 * Checkpoint history: executed transactions wait in `pending` until `seal` groups them into the
 * next checkpoint (sequence number, timestamp, previous digest, rolling gas summary). History is
 * a dense array from the lowest available checkpoint, so pruning is a shift and lookups are O(1).
 */
import type { GrpcTypes } from "@mysten/sui/grpc"
import { checkpointDigest } from "./crypto.js"

export const toTimestamp = (ms: bigint): { seconds: bigint; nanos: number } => ({
  seconds: ms / 1000n,
  nanos: Number(ms % 1000n) * 1_000_000
})

export class CheckpointLog {
  /** checkpoints[i] has sequence number `lowest + i`. */
  checkpoints: GrpcTypes.Checkpoint[] = []
  lowest = 0n
  pending: GrpcTypes.ExecutedTransaction[] = []
  readonly txs = new Map<string, GrpcTypes.ExecutedTransaction>()
  private readonly byDigest = new Map<string, bigint>()
  private readonly listeners = new Set<(cp: GrpcTypes.Checkpoint) => void>()
  totalTransactions = 0n
  /** While set, sealed checkpoints are not announced (a replay after a rewind). */
  muted = false
  private rolling = { computation: 0n, storage: 0n, rebate: 0n, nonRefundable: 0n }

  addExecuted(tx: GrpcTypes.ExecutedTransaction): void {
    this.pending.push(tx)
    this.txs.set(tx.digest!, tx)
  }

  latest(): GrpcTypes.Checkpoint | undefined {
    return this.checkpoints[this.checkpoints.length - 1]
  }

  nextSequence(): bigint {
    const l = this.latest()
    return l ? l.sequenceNumber! + 1n : this.lowest
  }

  get(seq: bigint): GrpcTypes.Checkpoint | undefined {
    if (seq < this.lowest) return undefined
    return this.checkpoints[Number(seq - this.lowest)]
  }

  getByDigest(digest: string): GrpcTypes.Checkpoint | undefined {
    const seq = this.byDigest.get(digest)
    return seq === undefined ? undefined : this.get(seq)
  }

  onCheckpoint(listener: (cp: GrpcTypes.Checkpoint) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Seals the next checkpoint; `endOfEpoch` makes it the last one of `epoch`. */
  seal(nowMs: bigint, epoch: bigint, endOfEpoch?: GrpcTypes.EndOfEpochData): GrpcTypes.Checkpoint {
    const prev = this.latest()
    const seq = this.nextSequence()
    const prevMs = prev?.summary?.timestamp ? prev.summary.timestamp.seconds * 1000n + BigInt(Math.floor(prev.summary.timestamp.nanos / 1e6)) : 0n
    const ms = nowMs > prevMs ? nowMs : prevMs
    const timestamp = toTimestamp(ms)
    const txs = this.pending
    this.pending = []
    txs.forEach((tx, i) => {
      tx.checkpoint = seq
      tx.timestamp = timestamp
      tx.transactionIndex = BigInt(i)
      const g = tx.effects?.gasUsed
      if (g) {
        this.rolling.computation += g.computationCost ?? 0n
        this.rolling.storage += g.storageCost ?? 0n
        this.rolling.rebate += g.storageRebate ?? 0n
        this.rolling.nonRefundable += g.nonRefundableStorageFee ?? 0n
      }
    })
    this.totalTransactions += BigInt(txs.length)
    const enc = new TextEncoder()
    const contentDigest = checkpointDigest(enc.encode(`contents:${seq}:${txs.map((t) => t.digest).join(",")}`))
    const digest = checkpointDigest(enc.encode(`${seq}:${prev?.digest ?? ""}:${contentDigest}:${ms}`))
    const cp: GrpcTypes.Checkpoint = {
      sequenceNumber: seq,
      digest,
      summary: {
        digest,
        epoch,
        sequenceNumber: seq,
        totalNetworkTransactions: this.totalTransactions,
        contentDigest,
        ...(prev?.digest ? { previousDigest: prev.digest } : {}),
        epochRollingGasCostSummary: {
          computationCost: this.rolling.computation,
          storageCost: this.rolling.storage,
          storageRebate: this.rolling.rebate,
          nonRefundableStorageFee: this.rolling.nonRefundable
        },
        timestamp,
        commitments: [],
        ...(endOfEpoch !== undefined ? { endOfEpochData: endOfEpoch } : {})
      },
      contents: {
        digest: contentDigest,
        version: 1,
        transactions: txs.map((t) => ({
          transaction: t.digest!,
          ...(t.effects?.digest ? { effects: t.effects.digest } : {}),
          signatures: t.signatures,
          addressAliasesVersions: []
        }))
      },
      transactions: txs
    }
    this.checkpoints.push(cp)
    this.byDigest.set(digest, seq)
    if (!this.muted) for (const l of this.listeners) {
      try {
        l(cp)
      } catch {
        // a failing listener must not break checkpoint production
      }
    }
    return cp
  }

  /** Takes over another log's history (a rewind); this log's listeners stay. */
  adopt(other: CheckpointLog): void {
    this.checkpoints = other.checkpoints
    this.lowest = other.lowest
    this.pending = other.pending
    this.txs.clear()
    for (const [k, v] of other.txs) this.txs.set(k, v)
    this.byDigest.clear()
    for (const [k, v] of other.byDigest) this.byDigest.set(k, v)
    this.totalTransactions = other.totalTransactions
    this.rolling = { ...other.rolling }
  }

  /** Re-adds a checkpoint read back from a snapshot (in sequence order). */
  restoreCheckpoint(cp: GrpcTypes.Checkpoint): void {
    this.checkpoints.push(cp)
    this.byDigest.set(cp.digest!, cp.sequenceNumber!)
    for (const tx of cp.transactions) this.txs.set(tx.digest!, tx)
    const g = cp.summary?.epochRollingGasCostSummary
    if (g) {
      this.rolling = {
        computation: g.computationCost ?? 0n,
        storage: g.storageCost ?? 0n,
        rebate: g.storageRebate ?? 0n,
        nonRefundable: g.nonRefundableStorageFee ?? 0n
      }
    }
  }

  /** Drops checkpoints below `below` (never the latest one) and their transactions. */
  prune(below: bigint): void {
    const latest = this.latest()
    const limit = latest ? latest.sequenceNumber! : this.lowest
    const target = below > limit ? limit : below
    if (target <= this.lowest) return
    const n = Number(target - this.lowest)
    const dropped = this.checkpoints.splice(0, n)
    for (const cp of dropped) {
      this.byDigest.delete(cp.digest!)
      for (const tx of cp.transactions) this.txs.delete(tx.digest!)
    }
    this.lowest = target
  }
}
