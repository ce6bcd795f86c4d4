/**
 * Settlement's transactions: build and sign one batch, record it in the Journal before it is
 * sent, submit it, and apply the chain's answer to its ops (settled, retried, isolated, given up).
 * What a failure means is decided by the pure classifier in chain/settlementFailure.ts.
 *
 * Journal writes are retried on a Schedule; one that still fails ends the transaction's handling
 * with the typed `JournalError` — its ops stay as the Journal last recorded them (in flight, with
 * the signed bytes) and are recovered on the next start — and the caller logs and counts it.
 */
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { Duration, Effect, Metric, PubSub, Schedule } from "effect"
import type { makeGasPool } from "../../chain/gasPool.js"
import { type ExecOutcome, lookupExecuted, submitSigned } from "../../chain/execute.js"
import { settlementAborts, settlementOps, settlementTransactions } from "../../chain/metrics.js"
import { classifyFailure, givesUp, referenceGasPriceOf } from "../../chain/settlementFailure.js"
import { buildSettlementTx, clampError, type GasCoin, groupOps, type MulticallGroup, type OpResult, resultsFromEvents } from "../../chain/settleTx.js"
import { isAgentCall, type OpKind, type OutboxOp } from "../../domain/outbox.js"
import { shortSecret } from "../../domain/redact.js"
import { abortName, isAgentCaused } from "../../chain/moveAborts.js"
import type { InflightTx, JournalError, JournalService } from "../Journal.js"
import type { SuiClientService } from "../SuiClient.js"
import type { OutboxQueue } from "./outbox.js"

type GasPool = Effect.Effect.Success<ReturnType<typeof makeGasPool>>
export type SettlementResult = "done" | "rejected" | "aborted"

/** A transaction of ours that executed and succeeded, with its events, as soon as the node answered. */
export interface ExecutedTx {
  readonly digest: string
  readonly events: ReadonlyArray<{ readonly eventType: string; readonly bcs: Uint8Array }>
}

/** One settlement transaction as sent (for the status page): what it carried and how it ended. */
export interface SettledTx {
  readonly digest: string
  readonly ops: number
  /** Ops by kind (start, complete, fail, terminate). */
  readonly kinds: Readonly<Partial<Record<OpKind, number>>>
  readonly result: "success" | "failed" | "not_executed"
  /** Gas used in MIST (computation + storage - rebate); null when it did not execute. */
  readonly gasUsedMist: string | null
  readonly detail: string | null
}

/** The counters the transactions keep (part of Settlement's stats). */
export interface BatchStats {
  transactions: number
  executedOps: number
  failedTransactions: number
  retries: number
  versionConflicts: number
  aborts: number
  merged: number
}

/** What the transactions work with, set up by Settlement. */
export interface BatchContext {
  readonly sui: SuiClientService
  readonly journal: JournalService
  readonly pool: GasPool
  /** The reference gas price; raised when a refusal names a higher one (the epoch changed). */
  readonly gasPrice: { current: bigint }
  readonly queue: OutboxQueue
  readonly stats: BatchStats
  readonly txs: PubSub.PubSub<SettledTx>
  readonly executions: PubSub.PubSub<ExecutedTx>
  /** Tells waiters and observers what became of an op. */
  readonly publish: (op: OutboxOp, result: SettlementResult, digest: string | null, detail: string | null) => Effect.Effect<void>
  readonly maxOpsPerCall: number
  readonly retryInitialMs: number
  readonly retryMaxMs: number
  readonly availableMemoryBytes: bigint
}

const MAX_BUDGET = 50_000_000_000n

/** A failed transaction's error as text (it may hold bigints, which JSON cannot). */
const describeFailure = (error: unknown): string => {
  try {
    return JSON.stringify(error, (_, v) => (typeof v === "bigint" ? v.toString() : v)) ?? String(error)
  } catch {
    return String(error)
  }
}

const kindsOf = (ops: ReadonlyArray<OutboxOp>) => {
  const kinds: Partial<Record<OpKind, number>> = {}
  for (const op of ops) kinds[op.kind] = (kinds[op.kind] ?? 0) + 1
  return kinds
}

const txView = (digest: string, ops: ReadonlyArray<OutboxOp>, outcome: ExecOutcome): SettledTx => ({
  digest,
  ops: ops.length,
  kinds: kindsOf(ops),
  result: outcome._tag === "NotExecuted" ? "not_executed" : outcome.success ? "success" : "failed",
  gasUsedMist: outcome._tag === "NotExecuted" ? null : outcome.used.toString(),
  detail:
    outcome._tag === "NotExecuted" ? `${outcome.code}: ${outcome.message}` : outcome.success ? null : clampError(describeFailure(outcome.error))
})

/** A journal write, retried on a Schedule; its error stays typed when the retries run out. */
const durably =
  (ctx: BatchContext) =>
  <A>(what: string, write: Effect.Effect<A, JournalError>) =>
    write.pipe(
      Effect.tapError((e) => Effect.logWarning(`settlement: journal ${what} failed: ${e.message}; retrying`)),
      Effect.retry(
        Schedule.exponential(Duration.millis(ctx.retryInitialMs)).pipe(
          Schedule.union(Schedule.spaced(Duration.millis(ctx.retryMaxMs))),
          Schedule.jittered,
          Schedule.intersect(Schedule.recurs(8))
        )
      )
    )

/**
 * An aborted command's log line. A refusal an agent's own call caused (a block not proved, a
 * sequence out of range, …) is the agent's business: WARN with the constant's name once the op is
 * isolated (INFO while the culprit is still being looked for). ERROR is kept for coordinator
 * faults: the coordinator's own ops and calls, and aborts that are not an agent's refusal.
 */
const logAbort = (digest: string, detail: string, bad: ReadonlyArray<OutboxOp>, others: number) => {
  const line = `settlement tx ${digest}: ${detail}; isolating ${bad.length} op(s), resubmitting ${others}`
  const agents = bad.every(isAgentCall) && isAgentCaused(abortName(detail))
  if (!agents) return Effect.logError(line)
  if (bad.length > 1) return Effect.logInfo(line)
  const op = bad[0]!
  return Effect.logWarning(`settlement: an agent's call was refused by the chain: ${detail}`).pipe(
    Effect.annotateLogs({ tx: digest, abort: abortName(detail) ?? "", job: op.jobSequence.toString(), session_id: op.session == null ? "" : shortSecret(op.session) })
  )
}

/**
 * Applies a transaction's outcome to its ops; returns whether its gas coin survives.
 * `sharedVersions` is the cache of app instances' versions, dropped for a transaction that did
 * not execute (a version may be what was wrong).
 */
const makeSettle = (ctx: BatchContext, sharedVersions: Map<string, bigint>) => {
  const { journal, pool, queue, stats, retryInitialMs } = ctx
  const write = durably(ctx)
  /** Not executed: requeue its ops (those past their attempts given up); returns whether the coin survives. */
  const notExecuted = (
    digest: string,
    groups: ReadonlyArray<MulticallGroup>,
    coin: GasCoin | undefined,
    outcome: Extract<ExecOutcome, { _tag: "NotExecuted" }>,
    merging: ReadonlyArray<GasCoin>
  ) =>
    Effect.gen(function* () {
      const ops = groups.flatMap((g) => g.ops)
      const failure = classifyFailure(outcome, groups.length)
      const rgp = referenceGasPriceOf(outcome.message)
      if (rgp !== undefined && rgp > ctx.gasPrice.current) {
        yield* Effect.logInfo(`settlement: the reference gas price is now ${rgp} (was ${ctx.gasPrice.current}): a new epoch`)
        ctx.gasPrice.current = rgp
      }
      yield* pool.returnDust(merging, true)
      stats.failedTransactions++
      if (failure._tag === "Stale" || failure._tag === "Locked") stats.versionConflicts++
      yield* Effect.logWarning(`settlement tx ${digest} not executed (${outcome.code}: ${outcome.message}); refreshing and retrying its ${ops.length} ops`)
      yield* write("requeue", journal.requeue(digest))
      for (const g of groups) sharedVersions.delete(g.appInstance)
      // A coin that is gone or too poor is retired, and so is one whose version another
      // transaction locked for this epoch (it comes back in the next); the ops move on to another coin.
      if (coin !== undefined && failure._tag === "Locked") yield* pool.lock(coin)
      const alive = coin === undefined ? true : failure._tag === "Locked" ? false : yield* pool.refresh(coin)
      const keep: Array<OutboxOp> = []
      for (const op of ops) {
        if (givesUp(failure, op.attempts)) {
          yield* write("abandon", journal.abandon([op.id], `not executed after ${op.attempts + 1} attempts: ${outcome.message}`))
          yield* ctx.publish(op, "aborted", null, outcome.message)
        } else keep.push({ ...op, attempts: op.attempts + 1 })
      }
      queue.retry(keep)
      yield* Effect.sleep(Duration.millis(retryInitialMs))
      return alive
    })

  /** Executed and succeeded: record each op's result; ops the events do not mention go back. */
  const succeeded = (digest: string, groups: ReadonlyArray<MulticallGroup>, events: Extract<ExecOutcome, { _tag: "Executed" }>["events"]) =>
    Effect.gen(function* () {
      const results: Array<OpResult> = resultsFromEvents(groups, events, ctx.sui.packageId)
      yield* write("finish", journal.finish(digest, results))
      const byId = new Map(results.map((r) => [r.id, r]))
      const missing: Array<OutboxOp> = []
      for (const op of groups.flatMap((g) => g.ops)) {
        const r = byId.get(op.id)
        if (r === undefined) {
          missing.push(op)
          continue
        }
        stats.executedOps++
        yield* Metric.increment(settlementOps)
        yield* ctx.publish(op, r.state, digest, r.outcome ?? null)
      }
      if (missing.length > 0) queue.retry(missing)
    })

  /** Executed but failed (nothing of it applied): isolate the aborting command's ops, resubmit the rest. */
  const failed = (digest: string, groups: ReadonlyArray<MulticallGroup>, outcome: Extract<ExecOutcome, { _tag: "Executed" }>) =>
    Effect.gen(function* () {
      stats.failedTransactions++
      const failure = classifyFailure(outcome, groups.length)
      yield* write("requeue", journal.requeue(digest))
      if (failure._tag !== "CommandFailed") {
        yield* Effect.logWarning(`settlement tx ${digest} failed without a command index: ${JSON.stringify(outcome.error)}; retrying`)
        queue.retry(groups.flatMap((g) => g.ops))
        yield* Effect.sleep(Duration.millis(retryInitialMs))
        return
      }
      stats.aborts++
      yield* Metric.increment(settlementAborts)
      const { command, detail } = failure
      const bad = groups[command]!.ops
      const others = groups.flatMap((g, i) => (i === command ? [] : g.ops))
      yield* logAbort(digest, detail, bad, others.length)
      if (bad.length === 1) {
        yield* write("abandon", journal.abandon([bad[0]!.id], detail))
        yield* ctx.publish(bad[0]!, "aborted", digest, detail)
        queue.retry(others)
      } else queue.isolate(others, bad)
    })

  /** Applies an execution outcome to the ops of `groups`; returns whether the coin survives. */
  const settle = (digest: string, groups: ReadonlyArray<MulticallGroup>, coin: GasCoin | undefined, outcome: ExecOutcome, merging: ReadonlyArray<GasCoin> = []) =>
    Effect.gen(function* () {
      yield* PubSub.publish(ctx.txs, txView(digest, groups.flatMap((g) => g.ops), outcome))
      if (outcome._tag === "NotExecuted") return yield* notExecuted(digest, groups, coin, outcome, merging)
      if (coin !== undefined && outcome.gas !== undefined) {
        coin.version = outcome.gas.version
        coin.digest = outcome.gas.digest
        coin.balance -= outcome.used
        for (const d of merging) coin.balance += d.balance
        stats.merged += merging.length
      }
      stats.transactions++
      yield* Metric.increment(settlementTransactions)
      if (outcome.success) yield* PubSub.publish(ctx.executions, { digest, events: outcome.events })
      yield* outcome.success ? succeeded(digest, groups, outcome.events) : failed(digest, groups, outcome)
      return true
    })

  return settle
}

export const makeBatches = (ctx: BatchContext) => {
  const { journal, pool, queue, stats, retryInitialMs, retryMaxMs } = ctx
  const client = ctx.sui.client
  const sharedVersions = new Map<string, bigint>()
  const settle = makeSettle(ctx, sharedVersions)

  const sharedVersionOf = (app: string) =>
    Effect.gen(function* () {
      const known = sharedVersions.get(app)
      if (known !== undefined) return known
      const { object } = yield* Effect.tryPromise(() => client.core.getObject({ objectId: normalizeSuiAddress(app) }))
      const owner = object.owner as { $kind: string; Shared?: { initialSharedVersion: string } }
      if (owner.$kind !== "Shared" || owner.Shared === undefined) return yield* Effect.fail(new Error(`app instance ${app} is not shared`))
      const v = BigInt(owner.Shared.initialSharedVersion)
      sharedVersions.set(app, v)
      return v
    })

  const submit = (tx: { digest: string; bytes: Uint8Array; signature: string }) =>
    submitSigned(client, tx, { initialMs: retryInitialMs, maxMs: retryMaxMs, onRetry: () => void stats.retries++ })

  /** Signs a transaction for `groups` on `coin` and records it in flight; `undefined` when it could not be prepared. */
  const prepare = (
    ops: ReadonlyArray<OutboxOp>,
    groups: ReadonlyArray<MulticallGroup>,
    sharedVersions: ReadonlyMap<string, bigint>,
    coin: GasCoin,
    merging: ReadonlyArray<GasCoin>
  ) =>
    Effect.gen(function* () {
      const budget = [MAX_BUDGET, 50_000_000n + 10_000_000n * BigInt(ops.length), coin.balance].reduce((a, b) => (a < b ? a : b))
      const built = yield* Effect.tryPromise(() =>
        buildSettlementTx({
          packageId: ctx.sui.packageId,
          keypair: ctx.sui.keypair,
          sender: ctx.sui.address,
          groups,
          sharedVersions,
          gas: coin,
          mergeGas: merging,
          gasPrice: ctx.gasPrice.current,
          gasBudget: budget,
          availableMemoryBytes: ctx.availableMemoryBytes
        })
      )
      yield* journal.markInflight({ digest: built.digest, bytes: built.bytes, signature: built.signature, gasCoin: coin.objectId, opIds: ops.map((o) => o.id) })
      return built
    })

  /** One batch on one coin, from signing to the coin's release. */
  const runBatch = (ops: Array<OutboxOp>, coin: GasCoin) =>
    Effect.gen(function* () {
      const groups = groupOps(ops, ctx.maxOpsPerCall)
      const versions = yield* Effect.forEach(groups, (g) => Effect.map(sharedVersionOf(g.appInstance), (v) => [g.appInstance, v] as const)).pipe(
        Effect.either
      )
      if (versions._tag === "Left") {
        yield* Effect.logWarning(`cannot read app instances: ${String(versions.left)}; retrying`)
        queue.retry(ops)
        yield* Effect.sleep(Duration.millis(retryInitialMs))
        return yield* pool.release(coin, true)
      }
      const merging = pool.takeDust(8)
      const built = yield* Effect.either(prepare(ops, groups, new Map(versions.right), coin, merging))
      if (built._tag === "Left") {
        // Nothing was submitted: the ops are still queued in the journal; put them back.
        yield* Effect.logError(`cannot prepare a settlement transaction: ${String(built.left)}; retrying`)
        queue.retry(ops)
        yield* pool.returnDust(merging, false)
        yield* Effect.sleep(Duration.millis(retryMaxMs))
        return yield* pool.release(coin, true)
      }
      const outcome = yield* submit(built.right)
      const alive = yield* settle(built.right.digest, groups, coin, outcome, merging).pipe(
        Effect.catchTag("JournalError", (e) =>
          Effect.as(
            Effect.logError(
              `settlement tx ${built.right.digest}: the journal cannot record its outcome (${e.op}: ${e.message}); its ops stay in flight until the next start recovers them`
            ),
            // The coin's state is uncertain: retire it rather than risk offering it twice.
            false
          )
        )
      )
      yield* pool.release(coin, alive)
    })

  /** Settles a transaction signed before a crash: looked up, else resubmitted byte for byte. */
  const recover = (tx: InflightTx) =>
    Effect.gen(function* () {
      const ops = yield* journal.getOps(tx.opIds)
      const groups = groupOps(ops, ctx.maxOpsPerCall)
      const prior = yield* lookupExecuted(client, tx.digest)
      const outcome = prior._tag === "Some" ? prior.value : yield* submit(tx)
      yield* Effect.logInfo(`recovered settlement tx ${tx.digest}: ${outcome._tag === "Executed" ? "executed" : `not executed (${outcome.code})`}`)
      // The rebuilt groups must match the signed ones: same ops, same order (ids ascending per app).
      yield* settle(tx.digest, groups, undefined, outcome)
    })

  return { runBatch, recover }
}
