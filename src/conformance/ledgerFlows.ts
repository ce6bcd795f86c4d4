/**
 * Conformance flows of the ledger range queries: ListCheckpoints, ListTransactions and ListEvents
 * in descending order (paged with `before` = the last watermark cursor) against the ascending
 * read of the same range, and ListCheckpoints with a transaction filter (the checkpoints that hold
 * one of this key's transactions).
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import { check, selfTransfer, type Ctx, type Flow } from "./support.js"

interface Frame {
  readonly watermark?: GrpcTypes.Watermark | undefined
  readonly end?: GrpcTypes.QueryEnd | undefined
}

const drain = async <F>(call: { responses: AsyncIterable<F> }): Promise<F[]> => {
  const out: F[] = []
  for await (const f of call.responses) out.push(f)
  return out
}

/** Every page of a list read in `ordering`, `limit` items at a time; the item keys in order. */
const pages = async <F extends Frame>(
  list: (options: GrpcTypes.QueryOptions) => Promise<F[]>,
  key: (f: F) => string | undefined,
  ordering: GrpcTypes.Ordering,
  limit: number
): Promise<string[]> => {
  const keys: string[] = []
  let cursor: Uint8Array | undefined
  for (let page = 0; page < 50; page++) {
    const resume = cursor === undefined ? {} : ordering === GrpcTypes.Ordering.DESCENDING ? { before: cursor } : { after: cursor }
    const frames = await list({ ordering, limit, ...resume })
    check(frames.filter((f) => f.end !== undefined).length === 1, "not exactly one QueryEnd frame")
    for (const f of frames) {
      check(f.watermark?.cursor !== undefined, "a frame without a watermark cursor")
      const k = key(f)
      if (k !== undefined) keys.push(k)
    }
    const last = frames.at(-1)!
    cursor = last.watermark!.cursor
    if (last.end?.reason !== GrpcTypes.QueryEndReason.ITEM_LIMIT) return keys
  }
  throw new Error("more than 50 pages")
}

const sameReversed = (what: string, up: string[], down: string[]): void => {
  check(up.length > 0, `no ${what} in the range`)
  check(JSON.stringify(down) === JSON.stringify([...up].reverse()), `${what} descending ${down.join(",")} ≠ ascending reversed ${up.join(",")}`)
  check(new Set(down).size === down.length, `${what} repeated across descending pages`)
}

/** Executes a self-transfer and waits for it; its checkpoint and a closed range around it. */
const recentRange = async (c: Ctx): Promise<{ digest: string; checkpoint: bigint; start: bigint; end: bigint }> => {
  const r = await c.client.signAndExecuteTransaction({ transaction: selfTransfer(c, 13n), signer: c.key })
  check(r.$kind === "Transaction", "the self-transfer failed")
  const digest = r.Transaction!.digest
  await c.client.core.waitForTransaction({ digest })
  // executed transactions join a checkpoint shortly after
  let checkpoint: bigint | undefined
  for (let tries = 0; checkpoint === undefined && tries < 120; tries++) {
    if (tries > 0) await new Promise((r) => setTimeout(r, 250))
    const { response } = await c.client.ledgerService.getTransaction({ digest, readMask: { paths: ["checkpoint"] } })
    checkpoint = response.transaction?.checkpoint
  }
  check(checkpoint !== undefined, "the transaction is in no checkpoint after 30 s")
  const { response: info } = await c.client.ledgerService.getServiceInfo({})
  const lowest = info.lowestAvailableCheckpoint ?? 0n
  const start = checkpoint! > lowest + 4n ? checkpoint! - 4n : lowest
  return { digest, checkpoint: checkpoint!, start, end: checkpoint! + 1n }
}

const bySender = (address: string): GrpcTypes.TransactionFilter => ({
  terms: [{ literals: [{ negated: false, predicate: { oneofKind: "sender", sender: { address } } }] }]
})

export const ledgerFlows: ReadonlyArray<Flow> = [
  ["ListCheckpoints / ListTransactions / ListEvents descending = ascending reversed", async (c) => {
    const { start, end } = await recentRange(c)
    const range = { startCheckpoint: start, endCheckpoint: end }
    const cps = (options: GrpcTypes.QueryOptions) => drain(c.client.ledgerService.listCheckpoints({ ...range, readMask: { paths: ["sequence_number"] }, options }))
    const cpKey = (f: GrpcTypes.ListCheckpointsResponse) => f.checkpoint?.sequenceNumber?.toString()
    sameReversed("checkpoints", await pages(cps, cpKey, GrpcTypes.Ordering.ASCENDING, 2), await pages(cps, cpKey, GrpcTypes.Ordering.DESCENDING, 2))
    const txs = (options: GrpcTypes.QueryOptions) => drain(c.client.ledgerService.listTransactions({ ...range, readMask: { paths: ["digest"] }, options }))
    const txKey = (f: GrpcTypes.ListTransactionsResponse) => f.transaction?.digest
    const up = await pages(txs, txKey, GrpcTypes.Ordering.ASCENDING, 2)
    sameReversed("transactions", up, await pages(txs, txKey, GrpcTypes.Ordering.DESCENDING, 2))
    const evs = (options: GrpcTypes.QueryOptions) => drain(c.client.ledgerService.listEvents({ ...range, readMask: { paths: ["transaction_digest", "event_index"] }, options }))
    const evKey = (f: GrpcTypes.ListEventsResponse) => (f.event ? `${f.event.transactionDigest}#${f.event.eventIndex}` : undefined)
    const evUp = await pages(evs, evKey, GrpcTypes.Ordering.ASCENDING, 3)
    const evDown = await pages(evs, evKey, GrpcTypes.Ordering.DESCENDING, 3)
    if (evUp.length > 0) sameReversed("events", evUp, evDown)
    else check(evDown.length === 0, "events only in descending order")
    return `checkpoints ${start}..${end - 1n}: ${up.length} transactions, ${evUp.length} events`
  }],
  ["ListCheckpoints filtered by sender, in both orderings", async (c) => {
    const { checkpoint, start, end } = await recentRange(c)
    const filter = bySender(c.address)
    const read = async (ordering: GrpcTypes.Ordering) =>
      (await drain(c.client.ledgerService.listCheckpoints({ startCheckpoint: start, endCheckpoint: end, filter, readMask: { paths: ["sequence_number", "transactions.transaction.sender"] }, options: { ordering, limit: 100 } })))
        .flatMap((f) => (f.checkpoint ? [f.checkpoint] : []))
    const up = await read(GrpcTypes.Ordering.ASCENDING)
    check(up.some((cp) => cp.sequenceNumber === checkpoint), `checkpoint ${checkpoint} of our transaction is missing`)
    for (const cp of up) {
      check(cp.transactions.some((t) => t.transaction?.sender === c.address), `checkpoint ${cp.sequenceNumber} holds no transaction of ours`)
    }
    const down = await read(GrpcTypes.Ordering.DESCENDING)
    sameReversed("filtered checkpoints", up.map((cp) => String(cp.sequenceNumber)), down.map((cp) => String(cp.sequenceNumber)))
    return `${up.length} of ${end - start} checkpoints hold our transactions`
  }]
]
