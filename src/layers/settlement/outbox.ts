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
 * - The `call` ops of an app instance wait while a transaction of its calls is in flight (from
 *   `takeBatch` to `release`): its calls all take the instance's shared object, so parallel
 *   transactions would only queue on the chain, while waiting lets the calls arriving meanwhile
 *   share the next one (at a few hundred calls per second each call paid a transaction).
 */
import { MAX_TX_OP_BYTES, opBytes } from "../../chain/settleTx.js"
import type { OutboxOp } from "../../domain/outbox.js"

interface Entry {
  readonly op: OutboxOp
  /** The isolation group of a suspect op; ordinary ops have none. */
  readonly isolate: number | undefined
}

const callInstances = (ops: ReadonlyArray<OutboxOp>) => new Set(ops.filter((op) => op.kind === "call").map((op) => op.appInstance))

/** An op as it is queued again: no transaction, back to `queued`. */
const requeued = (op: OutboxOp): OutboxOp => ({ ...op, state: "queued", txDigest: null })

export class OutboxQueue {
  private readonly entries: Array<Entry> = []
  /** How many entries hold each op id: `add` asks this instead of scanning the queue (quadratic at start-up with many open ops). */
  private readonly held = new Map<OutboxOp["id"], number>()
  private lastGroup = 0
  /** App instances with calls in flight, and in how many transactions. */
  private readonly calling = new Map<string, number>()

  constructor(private readonly maxOpsPerTx: number) {}

  /** Ops waiting for a transaction. */
  get size(): number {
    return this.entries.length
  }

  /** Adds a `queued` op at the back, unless it is queued already (other states are not waiting). */
  add(op: OutboxOp): void {
    if (op.state === "queued" && !this.held.has(op.id)) this.entries.push(this.hold({ op, isolate: undefined }))
  }

  /** Puts ops back at the front, as ordinary ops, in the given order (their state reset to `queued`). */
  retry(ops: ReadonlyArray<OutboxOp>): void {
    this.entries.unshift(...ops.map((op) => this.hold({ op: requeued(op), isolate: undefined })))
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
      ...others.map((op) => this.hold({ op: requeued(op), isolate: undefined })),
      ...suspects.map((op, i) => this.hold({ op: requeued(op), isolate: i < half ? a : b }))
    )
  }

  /** Takes the next batch (see `pick`); its instances' calls wait until it is released. */
  takeBatch(): Array<OutboxOp> {
    const picked = this.pick()
    for (const app of callInstances(picked)) this.calling.set(app, (this.calling.get(app) ?? 0) + 1)
    return picked
  }

  /** The transaction of a batch `takeBatch` gave is over: its instances' calls may go again. */
  release(batch: ReadonlyArray<OutboxOp>): void {
    for (const app of callInstances(batch)) {
      const n = (this.calling.get(app) ?? 1) - 1
      if (n === 0) this.calling.delete(app)
      else this.calling.set(app, n)
    }
  }

  private hold(entry: Entry): Entry {
    this.held.set(entry.op.id, (this.held.get(entry.op.id) ?? 0) + 1)
    return entry
  }

  /** Removes the entry at `i` from the queue and returns its op. */
  private take(i: number): OutboxOp {
    const op = this.entries.splice(i, 1)[0]!.op
    const n = (this.held.get(op.id) ?? 1) - 1
    if (n === 0) this.held.delete(op.id)
    else this.held.set(op.id, n)
    return op
  }

  /** The first isolation group alone, else ordinary ops up to the limits (calls of busy instances wait). */
  private pick(): Array<OutboxOp> {
    const first = this.entries.find((e) => e.isolate !== undefined)
    if (first !== undefined) {
      const picked: Array<OutboxOp> = []
      for (let i = this.entries.length - 1; i >= 0; i--) {
        if (this.entries[i]!.isolate === first.isolate) picked.unshift(this.take(i))
      }
      return picked
    }
    const picked: Array<OutboxOp> = []
    let bytes = 0
    for (let i = 0; i < this.entries.length && picked.length < this.maxOpsPerTx; ) {
      const entry = this.entries[i]!
      if (entry.isolate !== undefined || (entry.op.kind === "call" && this.calling.has(entry.op.appInstance))) {
        i++
        continue
      }
      const b = opBytes(entry.op)
      if (picked.length > 0 && bytes + b > MAX_TX_OP_BYTES) break
      bytes += b
      picked.push(this.take(i))
    }
    return picked
  }
}
