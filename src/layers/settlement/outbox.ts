/**
 * Settlement's outbox in memory: the ops the Journal holds as `queued`, in the order they go out,
 * and the planning of the next transaction's batch. Synchronous and free of I/O, so that batching
 * is unit-tested on its own.
 *
 * - New ops go to the back, ops put back after a failed transaction to the front.
 * - After a Move abort the ops of the aborting command are suspects: they travel in isolation
 *   groups of their own, halved on each further abort, until the one op that aborts is found.
 * - A batch is an isolation group alone, or else up to `maxOpsPerTx` ordinary ops within
 *   `MAX_TX_OP_BYTES` of arguments.
 */
import { MAX_TX_OP_BYTES, opBytes } from "../../chain/settleTx.js"
import type { OutboxOp } from "../../domain/outbox.js"

interface Entry {
  readonly op: OutboxOp
  /** The isolation group of a suspect op; ordinary ops have none. */
  readonly isolate: number | undefined
}

/** An op as it is queued again: no transaction, back to `queued`. */
const requeued = (op: OutboxOp): OutboxOp => ({ ...op, state: "queued", txDigest: null })

export class OutboxQueue {
  private readonly entries: Array<Entry> = []
  private lastGroup = 0

  constructor(private readonly maxOpsPerTx: number) {}

  /** Ops waiting for a transaction. */
  get size(): number {
    return this.entries.length
  }

  /** Adds a `queued` op at the back, unless it is queued already (other states are not waiting). */
  add(op: OutboxOp): void {
    if (op.state === "queued" && !this.entries.some((e) => e.op.id === op.id)) this.entries.push({ op, isolate: undefined })
  }

  /** Puts ops back at the front, as ordinary ops, in the given order (their state reset to `queued`). */
  retry(ops: ReadonlyArray<OutboxOp>): void {
    this.entries.unshift(...ops.map((op) => ({ op: requeued(op), isolate: undefined })))
  }

  /**
   * After an abort in a command of several ops: `others` go back as ordinary ops, the `suspects`
   * in two new isolation groups (first half, second half), all at the front.
   */
  isolate(others: ReadonlyArray<OutboxOp>, suspects: ReadonlyArray<OutboxOp>): void {
    const half = Math.ceil(suspects.length / 2)
    const a = ++this.lastGroup
    const b = ++this.lastGroup
    this.entries.unshift(
      ...others.map((op) => ({ op: requeued(op), isolate: undefined })),
      ...suspects.map((op, i) => ({ op: requeued(op), isolate: i < half ? a : b }))
    )
  }

  /** Takes the next batch: the first isolation group alone, else ordinary ops up to the limits. */
  takeBatch(): Array<OutboxOp> {
    const first = this.entries.find((e) => e.isolate !== undefined)
    if (first !== undefined) {
      const picked: Array<OutboxOp> = []
      for (let i = this.entries.length - 1; i >= 0; i--) {
        if (this.entries[i]!.isolate === first.isolate) picked.unshift(this.entries.splice(i, 1)[0]!.op)
      }
      return picked
    }
    const picked: Array<OutboxOp> = []
    let bytes = 0
    for (let i = 0; i < this.entries.length && picked.length < this.maxOpsPerTx; ) {
      const entry = this.entries[i]!
      if (entry.isolate !== undefined) {
        i++
        continue
      }
      const b = opBytes(entry.op)
      if (picked.length > 0 && bytes + b > MAX_TX_OP_BYTES) break
      bytes += b
      picked.push(this.entries.splice(i, 1)[0]!.op)
    }
    return picked
  }
}
