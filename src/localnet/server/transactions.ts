/**
 * Transaction queries: `LedgerService.ListTransactions` and `SubscriptionService.SubscribeTransactions`
 * with the `TransactionFilter` DNF (sender, affected address/object, Move call, emitted module or
 * event type, package writes). Cursors and watermarks work as for events: one position per
 * transaction, plus a checkpoint-boundary watermark frame per checkpoint on the live stream;
 * ListTransactions reads either ordering (queryScan.ts).
 */
import { GrpcTypes } from "@mysten/sui/grpc"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import type { ServerContext } from "./context.js"
import { encodeCursor, endOf, type Position } from "./events.js"
import { Subscriber, type CheckpointListener } from "./fanout.js"
import { checkMask } from "./masks.js"
import { applyMask, maskOf } from "./readMask.js"
import type { ServiceHandlers, StreamSink } from "./rpc.js"
import { runScan, scanRequestOf } from "./queryScan.js"
import { invalidArgument, notFound, prunedCheckpoint } from "./status.js"

const TRANSACTION_DEFAULT_MASK = ["digest"]
const LIMIT = { default: 50, max: 1000 } as const

type TxPredicate = (tx: GrpcTypes.ExecutedTransaction) => boolean

const addr = (a: string) => normalizeSuiAddress(a)

const ownerAddress = (o: GrpcTypes.Owner | undefined): string | undefined => (o?.address ? addr(o.address) : undefined)

const moveCalls = (tx: GrpcTypes.ExecutedTransaction): GrpcTypes.MoveCall[] => {
  const data = tx.transaction?.kind?.data
  if (data?.oneofKind !== "programmableTransaction") return []
  return data.programmableTransaction.commands.flatMap((c) => (c.command.oneofKind === "moveCall" ? [c.command.moveCall] : []))
}

const splitPath = (path: string) => {
  const [address = "", module, name] = path.replace(/\s+/g, "").split("<")[0]!.split("::")
  return { address: addr(address), module, name, generic: path.includes("<") ? path.replace(/\s+/g, "") : undefined }
}

const compileLiteral = (literal: GrpcTypes.TransactionLiteral): TxPredicate => {
  const p = literal.predicate
  let base: TxPredicate
  switch (p.oneofKind) {
    case "sender": {
      if (!p.sender.address) throw invalidArgument("sender filter requires an address")
      const want = addr(p.sender.address)
      base = (tx) => tx.transaction?.sender !== undefined && addr(tx.transaction.sender) === want
      break
    }
    case "affectedAddress": {
      if (!p.affectedAddress.address) throw invalidArgument("affected_address filter requires an address")
      const want = addr(p.affectedAddress.address)
      base = (tx) =>
        (tx.effects?.changedObjects ?? []).some((c) => ownerAddress(c.inputOwner) === want || ownerAddress(c.outputOwner) === want) ||
        tx.balanceChanges.some((b) => b.address !== undefined && addr(b.address) === want)
      break
    }
    case "affectedObject": {
      if (!p.affectedObject.objectId) throw invalidArgument("affected_object filter requires an object id")
      const want = addr(p.affectedObject.objectId)
      base = (tx) => (tx.effects?.changedObjects ?? []).some((c) => c.objectId !== undefined && addr(c.objectId) === want)
      break
    }
    case "moveCall": {
      if (!p.moveCall.function) throw invalidArgument("move_call filter requires a function path")
      const want = splitPath(p.moveCall.function)
      base = (tx) =>
        moveCalls(tx).some(
          (c) =>
            c.package !== undefined &&
            addr(c.package) === want.address &&
            (want.module === undefined || c.module === want.module) &&
            (want.name === undefined || c.function === want.name)
        )
      break
    }
    case "emitModule": {
      if (!p.emitModule.module) throw invalidArgument("emit_module filter requires a module path")
      const want = splitPath(p.emitModule.module)
      base = (tx) =>
        (tx.events?.events ?? []).some(
          (e) => e.packageId !== undefined && addr(e.packageId) === want.address && (want.module === undefined || e.module === want.module)
        )
      break
    }
    case "eventType": {
      if (!p.eventType.eventType) throw invalidArgument("event_type filter requires a type")
      const want = splitPath(p.eventType.eventType)
      base = (tx) =>
        (tx.events?.events ?? []).some((e) => {
          if (e.eventType === undefined) return false
          const got = splitPath(e.eventType)
          return (
            got.address === want.address &&
            (want.module === undefined || got.module === want.module) &&
            (want.name === undefined || got.name === want.name) &&
            (want.generic === undefined || e.eventType.replace(/\s+/g, "").endsWith(want.generic.slice(want.generic.indexOf("<"))))
          )
        })
      break
    }
    case "packageWrite":
      base = (tx) => {
        const data = tx.transaction?.kind?.data
        return (
          data?.oneofKind === "programmableTransaction" &&
          data.programmableTransaction.commands.some((c) => c.command.oneofKind === "publish" || c.command.oneofKind === "upgrade")
        )
      }
      break
    case "eventStreamHead":
      base = () => false
      break
    default:
      throw invalidArgument("transaction filter literal has no predicate")
  }
  return literal.negated ? (tx) => !base(tx) : base
}

/** Compiles a `TransactionFilter`; absent matches all, present needs at least one term. */
export const compileTransactionFilter = (filter: GrpcTypes.TransactionFilter | undefined): TxPredicate => {
  if (filter === undefined) return () => true
  if (filter.terms.length === 0) throw invalidArgument("transaction filter must have at least one term")
  const terms = filter.terms.map((t) => {
    if (t.literals.length === 0) throw invalidArgument("transaction filter term must have at least one literal")
    const literals = t.literals.map(compileLiteral)
    return (tx: GrpcTypes.ExecutedTransaction) => literals.every((l) => l(tx))
  })
  return (tx) => terms.some((t) => t(tx))
}

const positionOf = (checkpoint: bigint, index: number): Position => ({ checkpoint, tx: index, event: 0 })

export const transactionHandlers = (ctx: ServerContext): { ledger: ServiceHandlers; subscription: ServiceHandlers } => {
  const chain = ctx.chain
  return {
    ledger: {
      ListTransactions: (req: GrpcTypes.ListTransactionsRequest, sink: StreamSink<GrpcTypes.ListTransactionsResponse>) => {
        const matches = compileTransactionFilter(req.filter)
        const mask = maskOf(req.readMask, TRANSACTION_DEFAULT_MASK)
        checkMask(GrpcTypes.ExecutedTransaction, mask)
        const scan = scanRequestOf(req, LIMIT)
        const checkpointAt = (seq: bigint): GrpcTypes.Checkpoint => {
          const lowest = chain.lowestAvailableCheckpoint()
          if (seq < lowest) throw prunedCheckpoint(seq, lowest)
          const cp = chain.getCheckpoint(seq)
          if (cp === undefined) throw notFound(`checkpoint ${seq} not found`)
          return cp
        }
        const ledger = {
          lowest: chain.lowestAvailableCheckpoint(),
          tip: chain.latestCheckpoint().sequenceNumber ?? 0n,
          items: (seq: bigint) => checkpointAt(seq).transactions,
          position: (_tx: GrpcTypes.ExecutedTransaction, seq: bigint, index: number) => positionOf(seq, index),
          matches
        }
        runScan(scan, ledger, {
          item: (tx, watermark, end) => {
            const frame: GrpcTypes.ListTransactionsResponse = { transaction: applyMask(GrpcTypes.ExecutedTransaction, tx, mask), watermark }
            if (end !== undefined) frame.end = end
            sink.write(frame)
            if (end !== undefined) sink.end()
          },
          finish: (watermark, reason) => {
            sink.write({ watermark, end: { reason } })
            sink.end()
          }
        })
      }
    },
    subscription: {
      SubscribeTransactions: (req: GrpcTypes.SubscribeTransactionsRequest, sink: StreamSink<GrpcTypes.SubscribeTransactionsResponse>) => {
        const matches = compileTransactionFilter(req.filter)
        const mask = maskOf(req.readMask, TRANSACTION_DEFAULT_MASK)
        checkMask(GrpcTypes.ExecutedTransaction, mask)
        let remove = () => {}
        const subscriber = new Subscriber(sink, () => remove())
        const listener: CheckpointListener = {
          onCheckpoint: (checkpoint) => {
            const seq = checkpoint.sequenceNumber ?? 0n
            const txs = checkpoint.transactions
            for (let i = 0; i < txs.length; i++) {
              if (!matches(txs[i]!)) continue
              const watermark: GrpcTypes.Watermark = { cursor: encodeCursor(positionOf(seq, i)) }
              if (seq > 0n) watermark.checkpoint = seq - 1n
              subscriber.send({ transaction: applyMask(GrpcTypes.ExecutedTransaction, txs[i]!, mask), watermark }, false)
              if (subscriber.closed) return
            }
            subscriber.send({ watermark: { cursor: encodeCursor(endOf(seq)), checkpoint: seq } })
          },
          drop: (error) => subscriber.drop(error)
        }
        remove = ctx.fanout.add(listener)
        if (subscriber.closed) remove()
      }
    }
  }
}
