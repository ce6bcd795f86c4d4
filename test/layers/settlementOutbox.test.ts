/**
 * Settlement's outbox planning (layers/settlement/outbox.ts), without a chain: the order ops go
 * out in, the per-transaction limits, and the isolation of suspects after a Move abort.
 */
import { describe, expect, it } from "@effect/vitest"
import { MAX_TX_OP_BYTES } from "../../src/chain/settleTx.js"
import { AppInstanceId } from "../../src/domain/ids.js"
import type { OutboxOp } from "../../src/domain/outbox.js"
import { OutboxQueue } from "../../src/layers/settlement/outbox.js"

const op = (id: number, over: Partial<OutboxOp> = {}): OutboxOp => ({
  id,
  kind: "complete",
  appInstance: AppInstanceId.make("ab".repeat(32)),
  jobSequence: BigInt(id),
  error: null,
  session: null,
  state: "queued",
  txDigest: null,
  attempts: 0,
  outcome: null,
  createdAt: 0,
  payload: null,
  ...over
})
const ids = (ops: ReadonlyArray<OutboxOp>) => ops.map((o) => o.id)

describe("OutboxQueue", () => {
  it("batches in arrival order, at most maxOpsPerTx at a time", () => {
    const q = new OutboxQueue(3)
    for (let i = 1; i <= 7; i++) q.add(op(i))
    expect([ids(q.takeBatch()), ids(q.takeBatch()), ids(q.takeBatch()), ids(q.takeBatch())]).toEqual([[1, 2, 3], [4, 5, 6], [7], []])
    expect(q.size).toBe(0)
  })

  it("adds only queued ops, once", () => {
    const q = new OutboxQueue(10)
    q.add(op(1))
    q.add(op(1))
    q.add(op(2, { state: "inflight" }))
    q.add(op(3, { state: "done" }))
    expect(ids(q.takeBatch())).toEqual([1])
  })

  it("keeps a transaction's arguments under MAX_TX_OP_BYTES; an op too big alone still goes, alone", () => {
    const q = new OutboxQueue(100)
    const big = "x".repeat(Math.floor(MAX_TX_OP_BYTES * 0.6))
    q.add(op(1, { kind: "call", payload: big }))
    q.add(op(2, { kind: "call", payload: big }))
    q.add(op(3, { kind: "call", payload: "x".repeat(MAX_TX_OP_BYTES * 2) }))
    q.add(op(4))
    // each transaction ends before the next batch is taken (calls of one instance wait for it)
    const take = () => {
      const b = q.takeBatch()
      q.release(b)
      return ids(b)
    }
    expect([take(), take(), take()]).toEqual([[1], [2], [3]])
    expect(take()).toEqual([4])
  })

  it("calls of an instance wait while a batch with its calls is out; other ops and instances do not", () => {
    const q = new OutboxQueue(100)
    const other = AppInstanceId.make("cd".repeat(32))
    q.add(op(1, { kind: "call", payload: "a" }))
    const first = q.takeBatch()
    expect(ids(first)).toEqual([1])
    q.add(op(2, { kind: "call", payload: "b" }))
    q.add(op(3))
    q.add(op(4, { kind: "call", payload: "c", appInstance: other }))
    q.add(op(5, { kind: "call", payload: "d" }))
    expect(ids(q.takeBatch())).toEqual([3, 4])
    expect(ids(q.takeBatch())).toEqual([])
    q.release(first)
    expect(ids(q.takeBatch())).toEqual([2, 5])
  })

  it("puts retried ops back in front, reset to queued without a transaction", () => {
    const q = new OutboxQueue(10)
    q.add(op(5))
    q.retry([op(1, { state: "inflight", txDigest: "D", attempts: 2 }), op(2, { state: "inflight", txDigest: "D" })])
    const batch = q.takeBatch()
    expect(ids(batch)).toEqual([1, 2, 5])
    expect(batch[0]).toMatchObject({ state: "queued", txDigest: null, attempts: 2 })
  })

  it("isolates suspects: each half travels alone, before ordinary ops, and halves again on a further abort", () => {
    const q = new OutboxQueue(10)
    q.add(op(9))
    q.isolate([op(1), op(2)], [op(3), op(4), op(5), op(6), op(7)])
    expect(ids(q.takeBatch())).toEqual([3, 4, 5])
    // the first half aborts again: its suspects split in two new groups, ahead of the rest
    q.isolate([], [op(3), op(4), op(5)])
    expect([ids(q.takeBatch()), ids(q.takeBatch()), ids(q.takeBatch())]).toEqual([[3, 4], [5], [6, 7]])
    expect(ids(q.takeBatch())).toEqual([1, 2, 9])
  })
})
