/**
 * Checkpoint production: on an interval (default 250 ms, as on mainnet; empty checkpoints too, so
 * followers see the tip move), or right after every executed transaction ("per-transaction", with a
 * slow heartbeat while idle). Pausing stops sealing; executed transactions wait for `resume`.
 *
 * With `retainCheckpoints` the producer is also the node's pruner, as a full node's pruner keeps a
 * window of history: once the history exceeds the window by a tenth, the oldest checkpoints (and
 * their transactions) go, through `LocalChain.prune`, so the state file and its log stay bounded
 * however long the node runs.
 */
import type { LocalChain } from "../chain.js"

/** Idle heartbeat in per-transaction mode. */
const HEARTBEAT_MS = 1000

export class CheckpointProducer {
  private timer: NodeJS.Timeout | undefined
  private paused = false
  private stopped = false

  constructor(
    private readonly chain: LocalChain,
    private readonly mode: number | "per-transaction",
    private readonly onError: (error: unknown) => void,
    private readonly retainCheckpoints?: number
  ) {}

  get isPaused(): boolean {
    return this.paused
  }

  start(): void {
    const every = this.mode === "per-transaction" ? HEARTBEAT_MS : Math.max(1, this.mode)
    this.timer = setInterval(() => this.seal(), every)
    this.timer.unref()
  }

  /** Per-transaction mode: seal at once. */
  afterExecute(): void {
    if (this.mode === "per-transaction") this.seal()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    if (this.mode === "per-transaction" && this.chain.pendingTransactions() > 0) this.seal()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  private seal(): void {
    if (this.paused || this.stopped) return
    try {
      const sealed = this.chain.sealCheckpoint().sequenceNumber!
      if (this.retainCheckpoints !== undefined) this.pruneTo(sealed)
    } catch (e) {
      this.onError(e)
    }
  }

  private pruneTo(latest: bigint): void {
    const keep = BigInt(Math.max(1, this.retainCheckpoints!))
    const slack = keep / 10n > 0n ? keep / 10n : 1n
    if (latest - this.chain.lowestAvailableCheckpoint() >= keep + slack) this.chain.prune(latest - keep + 1n)
  }
}
