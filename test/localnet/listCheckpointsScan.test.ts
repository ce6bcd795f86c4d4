/**
 * A filtered ListCheckpoints scan that runs out of its budget (SCAN_LIMIT), in both orderings, on
 * a synthetic ledger of 10 checkpoints where only checkpoint 7 holds a matching transaction: each
 * call ends with a watermark-only SCAN_LIMIT frame whose cursor resumes past what it scanned, and
 * resuming from it reaches the match exactly once and then the range's end.
 */
import { describe, expect, it } from "@effect/vitest"
import { GrpcTypes } from "@mysten/sui/grpc"
import { listCheckpoints } from "../../src/localnet/server/listCheckpoints.js"
import { parseMask } from "../../src/localnet/server/readMask.js"
import type { StreamSink } from "../../src/localnet/server/rpc.js"

const ALICE = "0x" + "a1".repeat(32)
const BOB = "0x" + "b0".repeat(32)

const ledger: GrpcTypes.Checkpoint[] = Array.from({ length: 10 }, (_, i) => ({
  sequenceNumber: BigInt(i),
  transactions: [{ digest: `tx${i}`, signatures: [], balanceChanges: [], transaction: { sender: i === 7 ? ALICE : BOB } as GrpcTypes.Transaction }]
}))

/** One call: the frames decoded back from what the handler wrote. */
const call = (options: GrpcTypes.QueryOptions): GrpcTypes.ListCheckpointsResponse[] => {
  const frames: GrpcTypes.ListCheckpointsResponse[] = []
  let ended = false
  const sink: StreamSink<GrpcTypes.ListCheckpointsResponse> = {
    write: (m) => {
      frames.push(m instanceof Uint8Array ? GrpcTypes.ListCheckpointsResponse.fromBinary(m) : m)
      return true
    },
    onDrain: () => {},
    end: () => {
      ended = true
    },
    fail: (e) => {
      throw e
    },
    get closed() {
      return ended
    },
    signal: new AbortController().signal
  }
  const filter: GrpcTypes.TransactionFilter = { terms: [{ literals: [{ negated: false, predicate: { oneofKind: "sender", sender: { address: ALICE } } }] }] }
  listCheckpoints(
    { filter, options, startCheckpoint: 0n, endCheckpoint: 10n },
    { lowest: 0n, tip: 9n, at: (seq) => ledger[Number(seq)]!, budget: 3 },
    parseMask(["sequence_number"]),
    sink
  )
  expect(ended).toBe(true)
  return frames
}

const readAll = (ordering: GrpcTypes.Ordering) => {
  const calls: Array<{ items: bigint[]; reason: GrpcTypes.QueryEndReason | undefined; covered: bigint | undefined }> = []
  let cursor: Uint8Array | undefined
  for (let i = 0; i < 10; i++) {
    const resume = cursor === undefined ? {} : ordering === GrpcTypes.Ordering.DESCENDING ? { before: cursor } : { after: cursor }
    const frames = call({ ordering, limit: 5, ...resume })
    const last = frames.at(-1)!
    calls.push({ items: frames.flatMap((f) => (f.checkpoint ? [f.checkpoint.sequenceNumber!] : [])), reason: last.end?.reason, covered: last.watermark?.checkpoint })
    cursor = last.watermark!.cursor
    if (last.end?.reason !== GrpcTypes.QueryEndReason.SCAN_LIMIT && last.end?.reason !== GrpcTypes.QueryEndReason.ITEM_LIMIT) break
  }
  return calls
}

describe("ListCheckpoints filtered scan budget", () => {
  it("ascending: SCAN_LIMIT every 3 checkpoints, the match once, then CHECKPOINT_BOUND", () => {
    const R = GrpcTypes.QueryEndReason
    expect(readAll(GrpcTypes.Ordering.ASCENDING)).toEqual([
      { items: [], reason: R.SCAN_LIMIT, covered: 2n },
      { items: [], reason: R.SCAN_LIMIT, covered: 5n },
      { items: [7n], reason: R.SCAN_LIMIT, covered: 8n },
      { items: [], reason: R.CHECKPOINT_BOUND, covered: 9n }
    ])
  })

  it("descending: the same walk from the top, resumed with `before`", () => {
    const R = GrpcTypes.QueryEndReason
    expect(readAll(GrpcTypes.Ordering.DESCENDING)).toEqual([
      { items: [7n], reason: R.SCAN_LIMIT, covered: 7n },
      { items: [], reason: R.SCAN_LIMIT, covered: 4n },
      { items: [], reason: R.SCAN_LIMIT, covered: 1n },
      { items: [], reason: R.CHECKPOINT_BOUND, covered: 0n }
    ])
  })
})
