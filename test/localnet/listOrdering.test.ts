/**
 * ListCheckpoints / ListTransactions / ListEvents in both orderings, paged by cursor, and the
 * ListCheckpoints transaction filter, as a full node serves them (MystenLabs/sui
 * crates/sui-rpc-api/src/ledger_history/query_options.rs and watermark.rs,
 * grpc/v2/ledger_service/list_checkpoints.rs): a descending read of a range is the ascending read
 * reversed; it pages with `before` = the last watermark cursor and never repeats or skips an
 * item; it ends with CHECKPOINT_BOUND claiming the range's low checkpoint, or CURSOR_BOUND at an
 * `after` cursor; a filtered ListCheckpoints returns exactly the checkpoints holding a matching
 * transaction.
 */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createJobs, seedAgentMethod } from "../../src/localnet/client.js"
import { type LocalnetHandle, startLocalnet } from "../../src/localnet/index.js"
import { drain, eventType, filterOf, grpcClient, GrpcTypes, statusOf } from "./serverHelpers.js"

let net: LocalnetHandle
let client: ReturnType<typeof grpcClient>
/** A closed checkpoint range `[from, to)` that holds the test's jobs. */
let from: bigint
let to: bigint
const METHOD = "order-add"
const { ASCENDING, DESCENDING } = GrpcTypes.Ordering
const R = GrpcTypes.QueryEndReason

interface Frame {
  readonly watermark?: GrpcTypes.Watermark
  readonly end?: GrpcTypes.QueryEnd
}
type Pager<F extends Frame> = (options: GrpcTypes.QueryOptions) => Promise<F[]>

/** Reads every page of a list with `limit` items each, resuming as QueryOptions says. */
const readAll = async <F extends Frame>(list: Pager<F>, ordering: GrpcTypes.Ordering, limit: number, fixed: Partial<GrpcTypes.QueryOptions> = {}) => {
  const frames: F[] = []
  const reasons: GrpcTypes.QueryEndReason[] = []
  let cursor: Uint8Array | undefined
  for (let page = 0; page < 100; page++) {
    const resume = cursor === undefined ? {} : ordering === DESCENDING ? { before: cursor } : { after: cursor }
    const got = await list({ ...fixed, ordering, limit, ...resume })
    expect(got.every((f) => f.watermark?.cursor !== undefined)).toBe(true)
    expect(got.filter((f) => f.end !== undefined)).toHaveLength(1)
    frames.push(...got)
    const last = got.at(-1)!
    reasons.push(last.end!.reason!)
    cursor = last.watermark!.cursor
    if (last.end!.reason !== R.ITEM_LIMIT) break
  }
  return { frames, reasons, last: frames.at(-1)! }
}

const checkpointsIn = (options: GrpcTypes.QueryOptions, filter?: GrpcTypes.TransactionFilter) =>
  drain(client.ledgerService.listCheckpoints({ startCheckpoint: from, endCheckpoint: to, readMask: { paths: ["sequence_number", "transactions.digest"] }, options, ...(filter ? { filter } : {}) }).responses)
const transactionsIn = (options: GrpcTypes.QueryOptions) =>
  drain(client.ledgerService.listTransactions({ startCheckpoint: from, endCheckpoint: to, readMask: { paths: ["digest", "checkpoint"] }, options }).responses)
const eventsIn = (options: GrpcTypes.QueryOptions) =>
  drain(client.ledgerService.listEvents({ startCheckpoint: from, endCheckpoint: to, readMask: { paths: ["transaction_digest", "event_index", "checkpoint"] }, options, filter: filterOf(eventType(`${net.manifest.packageId}::jobs::JobCreatedEvent`)) }).responses)

const seqs = (frames: GrpcTypes.ListCheckpointsResponse[]) => frames.flatMap((f) => (f.checkpoint ? [f.checkpoint.sequenceNumber!] : []))
const digests = (frames: GrpcTypes.ListTransactionsResponse[]) => frames.flatMap((f) => (f.transaction ? [f.transaction.digest!] : []))
const eventIds = (frames: GrpcTypes.ListEventsResponse[]) => frames.flatMap((f) => (f.event ? [`${f.event.transactionDigest}#${f.event.eventIndex}`] : []))

beforeAll(async () => {
  net = await startLocalnet({ port: 0, checkpointMs: 20 })
  client = grpcClient(net.manifest)
  await seedAgentMethod(net.manifest, { developer: "dev", agent: "agent", method: METHOD, image: "example/add:1" })
  from = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight! + 1n
  // jobs in several transactions, so the range spans several checkpoints with transactions
  // (each in its own checkpoint: the next is sent once two more have been sealed, so a busy machine
  // cannot fold two of them into one)
  const height = async () => (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!
  for (let i = 0; i < 4; i++) {
    await createJobs(net.manifest, { count: 2, method: METHOD })
    const sealedAfter = (await height()) + 2n
    while ((await height()) < sealedAfter) await new Promise((r) => setTimeout(r, 10))
  }
  // a few more checkpoints after the last transaction, then close the range below the tip
  const last = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!
  for (;;) {
    const now = (await client.ledgerService.getServiceInfo({})).response.checkpointHeight!
    if (now >= last + 3n) break
    await new Promise((r) => setTimeout(r, 20))
  }
  to = last + 2n
}, 60_000)

afterAll(async () => {
  await net?.close()
})

describe("descending ordering", () => {
  it("ListCheckpoints: the ascending range reversed, paged with `before`, ending at the range's low checkpoint", async () => {
    const up = await readAll(checkpointsIn, ASCENDING, 3)
    const down = await readAll(checkpointsIn, DESCENDING, 3)
    expect(seqs(up.frames).length).toBe(Number(to - from))
    expect(seqs(down.frames)).toEqual(seqs(up.frames).reverse())
    // the range's low end, or (when the last page came out full) the `before` cursor that emptied it
    expect([R.CHECKPOINT_BOUND, R.CURSOR_BOUND]).toContain(down.reasons.at(-1))
    expect(down.frames.flatMap((f) => (f.watermark?.checkpoint !== undefined ? [f.watermark.checkpoint] : [])).at(-1)).toBe(from)
    // item watermarks claim each emitted checkpoint covered, never regressing downwards
    const claims = down.frames.flatMap((f) => (f.checkpoint ? [f.watermark!.checkpoint!] : []))
    expect(claims).toEqual(seqs(down.frames))
    // the final cursor, as `before`, leaves nothing
    const rest = await checkpointsIn({ ordering: DESCENDING, before: down.last.watermark!.cursor! })
    expect(seqs(rest)).toEqual([])
  })

  it("ListCheckpoints: an `after` cursor ends a descending read with CURSOR_BOUND", async () => {
    const up = await checkpointsIn({ ordering: ASCENDING, limit: 2 })
    const afterSecond = up.filter((f) => f.checkpoint).at(-1)!.watermark!.cursor!
    const down = await checkpointsIn({ ordering: DESCENDING, after: afterSecond, limit: 100 })
    expect(seqs(down)).toEqual(Array.from({ length: Number(to - from - 2n) }, (_, i) => to - 1n - BigInt(i)))
    expect(down.at(-1)!.end!.reason).toBe(R.CURSOR_BOUND)
  })

  it("ListTransactions: the ascending range reversed, every page resumed without repeats", async () => {
    const up = await readAll(transactionsIn, ASCENDING, 2)
    const down = await readAll(transactionsIn, DESCENDING, 2)
    expect(digests(up.frames).length).toBeGreaterThanOrEqual(4)
    expect(digests(down.frames)).toEqual(digests(up.frames).reverse())
    expect(new Set(digests(down.frames)).size).toBe(digests(down.frames).length)
    expect(down.reasons.at(-1)).toBe(R.CHECKPOINT_BOUND)
    expect(down.last.watermark!.checkpoint).toBe(from)
    // an item's watermark claims only checkpoints above the item's own
    for (const f of down.frames) {
      if (f.transaction && f.watermark!.checkpoint !== undefined) expect(f.watermark!.checkpoint).toBeGreaterThan(f.transaction.checkpoint!)
    }
  })

  it("ListEvents: the ascending range reversed, one event per page", async () => {
    const up = await readAll(eventsIn, ASCENDING, 1)
    const down = await readAll(eventsIn, DESCENDING, 1)
    expect(eventIds(up.frames)).toHaveLength(8)
    expect(eventIds(down.frames)).toEqual(eventIds(up.frames).reverse())
    expect(down.reasons.at(-1)).toBe(R.CHECKPOINT_BOUND)
    // descending between two cursors: the open interval, high to low, then CURSOR_BOUND
    const all = up.frames.filter((f) => f.event)
    const between = await eventsIn({ ordering: DESCENDING, after: all[1]!.watermark!.cursor!, before: all[6]!.watermark!.cursor! })
    expect(eventIds(between)).toEqual(eventIds(all.slice(2, 6)).reverse())
    expect(between.at(-1)!.end!.reason).toBe(R.CURSOR_BOUND)
  })

  it("refuses end_checkpoint below start_checkpoint as a field violation", async () => {
    const bad = { startCheckpoint: to, endCheckpoint: from }
    expect(await statusOf(drain(client.ledgerService.listCheckpoints(bad).responses))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(drain(client.ledgerService.listTransactions(bad).responses))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(drain(client.ledgerService.listEvents(bad).responses))).toBe("INVALID_ARGUMENT")
  })
})

describe("ListCheckpoints filter", () => {
  it("returns exactly the checkpoints holding a matching transaction, in either ordering", async () => {
    const admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin).toSuiAddress()
    const bySender: GrpcTypes.TransactionFilter = { terms: [{ literals: [{ negated: false, predicate: { oneofKind: "sender", sender: { address: admin } } }] }] }
    const all = seqs(await checkpointsIn({ limit: 100 }))
    const withAdminTx: bigint[] = []
    for (const seq of all) {
      const txs = await drain(client.ledgerService.listTransactions({ startCheckpoint: seq, endCheckpoint: seq + 1n, readMask: { paths: ["transaction.sender"] } }).responses)
      if (txs.some((f) => f.transaction?.transaction?.sender === admin)) withAdminTx.push(seq)
    }
    expect(withAdminTx.length).toBeGreaterThanOrEqual(4)
    expect(withAdminTx.length).toBeLessThan(all.length)
    const up = await readAll((o) => checkpointsIn(o, bySender), ASCENDING, 2)
    const down = await readAll((o) => checkpointsIn(o, bySender), DESCENDING, 2)
    expect(seqs(up.frames)).toEqual(withAdminTx)
    expect(seqs(down.frames)).toEqual([...withAdminTx].reverse())
    expect(up.reasons.at(-1)).toBe(R.CHECKPOINT_BOUND)
    // the scan claimed the range up to its last checkpoint (on the final frame, or on the last item's
    // when a page ended exactly there and the resumed read found the interval empty)
    const claimed = up.frames.flatMap((f) => (f.watermark?.checkpoint === undefined ? [] : [f.watermark.checkpoint]))
    expect(claimed.reduce((a, b) => (b > a ? b : a), 0n)).toBe(to - 1n)
    // a filter nothing matches scans the whole range and claims it
    const nobody: GrpcTypes.TransactionFilter = { terms: [{ literals: [{ negated: false, predicate: { oneofKind: "sender", sender: { address: "0x" + "42".repeat(32) } } }] }] }
    const none = await checkpointsIn({ ordering: DESCENDING }, nobody)
    expect(seqs(none)).toEqual([])
    expect(none.at(-1)!.watermark!.checkpoint).toBe(from)
    // an empty filter is a field violation
    expect(await statusOf(checkpointsIn({}, { terms: [] }))).toBe("INVALID_ARGUMENT")
  })
})
