/**
 * Executing a signed transaction until there is a definite answer, and reading the parts of the
 * result that settlement needs. Only ever the same signed bytes are resubmitted, so a gas coin is
 * never offered to two different transactions.
 */
import { parseGrpcTransactionResponse, type SuiGrpcClient } from "@mysten/sui/grpc"
import { fromBase64 } from "@mysten/sui/utils"
import { Duration, Effect } from "effect"
import { grpcCode } from "./rpc.js"
import { classifySubmitError } from "./settlementFailure.js"

/** What became of a submitted transaction. */
export type ExecOutcome =
  | {
      readonly _tag: "Executed"
      readonly success: boolean
      readonly error: unknown
      readonly events: ReadonlyArray<{ readonly eventType: string; readonly bcs: Uint8Array }>
      /** The gas coin's new reference. */
      readonly gas: { readonly version: string; readonly digest: string } | undefined
      /** Computation + storage - rebate, in MIST. */
      readonly used: bigint
    }
  | { readonly _tag: "NotExecuted"; readonly code: string; readonly message: string }

type SdkResult = Awaited<ReturnType<SuiGrpcClient["core"]["executeTransaction"]>>

export const toExecuted = (r: SdkResult): ExecOutcome => {
  const t = (r.$kind === "Transaction" ? r.Transaction : r.FailedTransaction) as unknown as {
    status: { success: boolean; error: unknown }
    effects?: {
      gasObject: { outputVersion: string | null; outputDigest: string | null } | null
      gasUsed?: { computationCost: string; storageCost: string; storageRebate: string }
    }
    events?: Array<{ eventType: string; bcs: Uint8Array }>
  }
  const g = t.effects?.gasObject
  const gu = t.effects?.gasUsed
  return {
    _tag: "Executed",
    success: t.status.success,
    error: t.status.error,
    events: t.events ?? [],
    gas: g?.outputVersion && g.outputDigest ? { version: g.outputVersion, digest: g.outputDigest } : undefined,
    used: gu === undefined ? 0n : BigInt(gu.computationCost) + BigInt(gu.storageCost) - BigInt(gu.storageRebate)
  }
}

/**
 * What settlement reads of an executed transaction: its status (and error), the gas coin's new
 * reference, the gas used, and each event's type and BCS contents (with the event fields the SDK's
 * parser expects). Not the rest of the effects (every changed object with its owners, the effects'
 * BCS) nor the events' JSON rendering, which a node builds and encodes for every answer that asks
 * for them: with a multicall of a hundred jobs that was as much of the node's work as executing
 * the transaction, and the daemon decoded it all to read a few fields.
 */
export const SETTLEMENT_EXECUTED_MASK: ReadonlyArray<string> = [
  "digest",
  "checkpoint",
  "timestamp",
  "effects.status",
  "effects.epoch",
  "effects.transaction_digest",
  "effects.gas_object",
  "effects.gas_used",
  "events.events.package_id",
  "events.events.module",
  "events.events.sender",
  "events.events.event_type",
  "events.events.contents"
]

/** Executes signed bytes, asking the node only for `SETTLEMENT_EXECUTED_MASK`; the SDK's result shape. */
export const executeForSettlement = async (
  client: SuiGrpcClient,
  tx: { readonly bytes: Uint8Array; readonly signature: string }
) => {
  const { response } = await client.transactionExecutionService.executeTransaction({
    transaction: { bcs: { value: tx.bytes } },
    signatures: [{ bcs: { value: fromBase64(tx.signature) }, signature: { oneofKind: undefined } }],
    readMask: { paths: [...SETTLEMENT_EXECUTED_MASK] }
  })
  if (response.transaction === undefined) throw new Error("the node answered ExecuteTransaction without the transaction")
  return parseGrpcTransactionResponse(response.transaction, { include: { effects: true as const, events: true as const } })
}

/** The executed transaction `digest`, if the node knows it. */
export const lookupExecuted = (client: SuiGrpcClient, digest: string) =>
  Effect.tryPromise(() => client.core.getTransaction({ digest, include: { effects: true, events: true } })).pipe(
    Effect.map(toExecuted),
    Effect.option
  )

/**
 * Submits signed bytes until there is a definite answer: executed (now or on an earlier attempt
 * whose answer was lost), or refused with a non-transient status. Transient failures are retried
 * with jittered exponential backoff; a missing input (which a full node retries itself and then
 * answers UNAVAILABLE) is final after a few answers, so a vanished coin cannot stall settlement.
 */
export const submitSigned = (
  client: SuiGrpcClient,
  tx: { readonly digest: string; readonly bytes: Uint8Array; readonly signature: string },
  retry: { readonly initialMs: number; readonly maxMs: number; readonly onRetry: () => void }
) =>
  Effect.gen(function* () {
    let attempt = 0
    while (true) {
      const r = yield* Effect.tryPromise(() => executeForSettlement(client, tx)).pipe(Effect.either)
      if (r._tag === "Right") return toExecuted(r.right)
      const cause = (r.left as { error?: unknown }).error ?? r.left
      const code = grpcCode(cause)
      const message = cause instanceof Error ? cause.message : String(cause)
      const prior = yield* lookupExecuted(client, tx.digest)
      if (prior._tag === "Some") return prior.value
      if (classifySubmitError(code, message, attempt) === "resubmit") {
        retry.onRetry()
        const base = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt++, 16))
        const delay = Math.round(base / 2 + Math.random() * (base / 2))
        yield* Effect.logWarning(`settlement tx ${tx.digest}: ${code} ${message}; resubmitting in ${delay} ms`)
        yield* Effect.sleep(Duration.millis(delay))
        continue
      }
      const out: ExecOutcome = { _tag: "NotExecuted", code, message }
      return out
    }
  })

/** Whether the node has transaction `digest`: `unknown` when it could not answer. */
export const txPresence = (client: SuiGrpcClient, digest: string): Effect.Effect<"present" | "missing" | "unknown"> =>
  Effect.tryPromise(() => client.core.getTransaction({ digest })).pipe(
    Effect.as("present" as const),
    Effect.catchAll((e) => {
      const error = (e as { error?: unknown }).error ?? e
      // The SDK wraps the node's answer: NOT_FOUND is on the error or on its cause.
      const codes = [grpcCode(error), grpcCode((error as { cause?: unknown } | null)?.cause)]
      return Effect.succeed(codes.some((c) => c === "NOT_FOUND" || c === "5") ? ("missing" as const) : ("unknown" as const))
    })
  )

/**
 * When the oldest checkpoint the node still serves was made (ms since the epoch): a transaction
 * from before it may have been pruned, so the node not finding it proves nothing. 0 when nothing
 * is pruned; `undefined` when the node could not say.
 */
export const oldestRetainedMs = (client: SuiGrpcClient): Effect.Effect<number | undefined> =>
  Effect.tryPromise(async () => {
    const { response: info } = await client.ledgerService.getServiceInfo({})
    const lowest = info.lowestAvailableCheckpoint ?? 0n
    if (lowest === 0n) return 0
    const { response } = await client.ledgerService.getCheckpoint({
      checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: lowest },
      readMask: { paths: ["summary.timestamp"] }
    })
    const ts = response.checkpoint?.summary?.timestamp
    return ts === undefined ? undefined : Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)
  }).pipe(Effect.orElseSucceed(() => undefined))
