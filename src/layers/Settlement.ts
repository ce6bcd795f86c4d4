/**
 * Settlement — turns start/complete/fail/terminate into batched transactions.
 *
 * - complete/fail/terminate are written to the Journal's outbox before the caller's Effect returns;
 *   start resolves once its transaction executed, with the chain's per-job answer.
 * - A settle loop drains the outbox: ops of one app instance go into one
 *   `multicall_app_job_operations`, several instances share a transaction. It waits `lingerMs`
 *   after the first op and then for a free gas coin, so light load gets low latency and heavy
 *   load gets big batches.
 * - Gas: a pool of the coordinator's coins (src/chain/gasPool.ts), one in-flight transaction per
 *   coin, small coins merged through later gas payments. A signed
 *   transaction is recorded in the Journal before submission and only ever resubmitted
 *   byte-for-byte, so a coin is never offered to two different transactions (no equivocation),
 *   and a crash between submission and execution settles each op exactly once after restart.
 * - Failures: UNAVAILABLE/transport → resubmit the same bytes with backoff; version conflict or
 *   missing object → check whether it executed, else refresh the coin and requeue; Move abort →
 *   decode and report, isolate the failing ops by splitting, resubmit the rest.
 */
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { Context, Data, Deferred, Duration, Effect, FiberSet, Layer, Metric, PubSub, Queue, Schedule, Stream } from "effect"
import { settlementAborts, settlementOps, settlementTransactions } from "../chain/metrics.js"
import { type AppCall, encodeCall } from "../chain/appCalls.js"
import { type ExecOutcome, lookupExecuted, submitSigned } from "../chain/execute.js"
import { makeGasPool } from "../chain/gasPool.js"
import { classifyFailure, givesUp } from "../chain/settlementFailure.js"
import {
  buildSettlementTx,
  clampError,
  type GasCoin,
  groupOps,
  MAX_TX_OP_BYTES,
  type MulticallGroup,
  opBytes,
  type OpResult,
  resultsFromEvents
} from "../chain/settleTx.js"
import { type InflightTx, Journal, type JournalError, type JournalService, type OpKind, type OutboxOp } from "./Journal.js"
import { SuiClient, type SuiClientService } from "./SuiClient.js"

/** A settlement request was refused. */
export class SettlementError extends Data.TaggedError("SettlementError")<{
  readonly reason: "NotStartedHere" | "Journal" | "Aborted" | "Closed"
  readonly message: string
}> {}

export interface SettlementOptions {
  /** Most ops in one transaction (default 500). */
  readonly maxOpsPerTx?: number
  /** Most ops in one multicall command (default 250). */
  readonly maxOpsPerCall?: number
  /** Wait after the first queued op before building (default 5 ms). */
  readonly lingerMs?: number
  /** Gas coins to keep (= most transactions in flight; default 4). */
  readonly gasCoins?: number
  /** A coin below this balance is retired (default 0.5 SUI). */
  readonly minCoinBalance?: bigint
  /** Balance given to each coin split off at start (default 50 SUI, less when the balance is low). */
  readonly coinSplitAmount?: bigint
  readonly retryInitialMs?: number
  readonly retryMaxMs?: number
  /** `available_memory_bytes` passed with starts (default: no limit). */
  readonly availableMemoryBytes?: bigint
  /** How often to look for funds again while no coin is usable (default 5 s). */
  readonly lowBalanceRetryMs?: number
  /** How long settled ops stay in the journal (default 24 h). */
  readonly keepFinishedMs?: number
}

export type SettlementResult = "done" | "rejected" | "aborted"

/** What happened to one op (for metrics and tests). */
export interface SettlementOutcome {
  readonly kind: OpKind
  readonly appInstance: string
  readonly jobSequence: bigint
  readonly result: SettlementResult
  readonly txDigest: string | null
  readonly detail: string | null
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

export interface SettlementStats {
  transactions: number
  executedOps: number
  failedTransactions: number
  retries: number
  versionConflicts: number
  aborts: number
  /** Highest number of in-flight transactions seen on one coin (must stay ≤ 1). */
  maxInflightPerCoin: number
  coins: number
  /** Small coins merged into pool coins (through the gas payment of settlement transactions). */
  merged: number
  lowBalance: boolean
  /** Ops waiting in the outbox for a transaction (read time). */
  queued: number
  /** Transactions submitted and not yet answered (read time). */
  inflightTransactions: number
}

/** What became of an app call once its transaction executed (or it was given up). */
export interface CallOutcome {
  readonly result: SettlementResult
  readonly txDigest: string | null
  /** `job_sequence=<n>` for a job-creating call that created one; the abort for an aborted call. */
  readonly detail: string | null
}

export interface SettlementService {
  /**
   * Queues a Move call of `appInstance` on behalf of its running job `seq`; succeeds once the call
   * is durable in the journal, with an Effect that waits for its execution.
   */
  readonly call: (
    appInstance: string,
    seq: bigint,
    call: AppCall,
    session?: string
  ) => Effect.Effect<Effect.Effect<CallOutcome>, SettlementError>
  /** Starts jobs; resolves once the start transaction executed: `true` = this coordinator has the job. */
  readonly start: (appInstance: string, seqs: ReadonlyArray<bigint>) => Effect.Effect<ReadonlyMap<bigint, boolean>, SettlementError>
  /** Queues a completion; resolves once it is durable. Only for jobs this coordinator started. */
  readonly complete: (appInstance: string, seq: bigint, session?: string) => Effect.Effect<void, SettlementError>
  readonly fail: (appInstance: string, seq: bigint, error: string, session?: string) => Effect.Effect<void, SettlementError>
  readonly terminate: (appInstance: string, seq: bigint) => Effect.Effect<void, SettlementError>
  /** Settlement outcomes as they happen. */
  readonly outcomes: Stream.Stream<SettlementOutcome>
  /** Every transaction sent, once answered (executed or not). */
  readonly transactions: Stream.Stream<SettledTx>
  /** Resolves once nothing is queued or in flight. */
  readonly awaitIdle: Effect.Effect<void>
  readonly stats: Effect.Effect<Readonly<SettlementStats>>
}

const MAX_BUDGET = 50_000_000_000n
const appKey = (id: string) => id.toLowerCase().replace(/^0x/, "").padStart(64, "0")

/** A failed transaction's error as text (it may hold bigints, which JSON cannot). */
const describeFailure = (error: unknown): string => {
  try {
    return JSON.stringify(error, (_, v) => (typeof v === "bigint" ? v.toString() : v)) ?? String(error)
  } catch {
    return String(error)
  }
}

interface Entry {
  readonly op: OutboxOp
  /** Ops under suspicion after an abort travel alone in their group, split further on each abort. */
  readonly isolate: number | undefined
}

export const makeSettlement = (options: SettlementOptions = {}) =>
  Effect.gen(function* () {
    const sui = yield* SuiClient
    const journal = yield* Journal
    const maxOpsPerTx = options.maxOpsPerTx ?? 500
    const maxOpsPerCall = options.maxOpsPerCall ?? 250
    const lingerMs = options.lingerMs ?? 5
    const poolSize = options.gasCoins ?? 4
    const minCoinBalance = options.minCoinBalance ?? 500_000_000n
    const splitAmount = options.coinSplitAmount ?? 50_000_000_000n
    const retryInitialMs = options.retryInitialMs ?? 100
    const retryMaxMs = options.retryMaxMs ?? 5_000
    const availableMemoryBytes = options.availableMemoryBytes ?? 0xffff_ffff_ffff_ffffn
    const lowBalanceRetryMs = options.lowBalanceRetryMs ?? 5_000
    const keepFinishedMs = options.keepFinishedMs ?? 24 * 3_600_000
    const client = sui.client
    /** Retries a node read with jittered backoff until it answers (start-up must not die on a blip). */
    const patiently = <A>(what: string, f: () => Promise<A>) =>
      Effect.tryPromise(f).pipe(
        Effect.tapError((e) => Effect.logWarning(`settlement: ${what} failed: ${String(e.error ?? e)}; retrying`)),
        Effect.retry(
          Schedule.exponential(Duration.millis(retryInitialMs)).pipe(
            Schedule.union(Schedule.spaced(Duration.millis(retryMaxMs))),
            Schedule.jittered
          )
        ),
        Effect.orDie
      )

    const stats: SettlementStats = {
      transactions: 0,
      executedOps: 0,
      failedTransactions: 0,
      retries: 0,
      versionConflicts: 0,
      aborts: 0,
      maxInflightPerCoin: 0,
      coins: 0,
      merged: 0,
      lowBalance: false,
      queued: 0,
      inflightTransactions: 0
    }
    const outcomes = yield* PubSub.unbounded<SettlementOutcome>()
    // Dropping is right for observers that fall behind: the transaction list is for display.
    const txs = yield* PubSub.sliding<SettledTx>(1024)
    const kindsOf = (ops: ReadonlyArray<OutboxOp>) => {
      const kinds: Partial<Record<OpKind, number>> = {}
      for (const op of ops) kinds[op.kind] = (kinds[op.kind] ?? 0) + 1
      return kinds
    }
    const waiters = new Map<number, Array<Deferred.Deferred<SettlementResult>>>()
    const callWaiters = new Map<number, Array<Deferred.Deferred<CallOutcome>>>()
    const queue: Entry[] = []
    let isolateGroup = 0
    let inflightTxs = 0
    // App instances with a transaction of `call` ops in flight. Their next calls wait for it: calls
    // of one instance all take its shared object, so parallel transactions only queue on the chain,
    // while waiting lets the calls arriving meanwhile share the next transaction (one per call at
    // a few hundred calls per second made each call pay a whole transaction).
    const callsInFlight = new Map<string, number>()
    const idleWaiters: Array<Deferred.Deferred<void>> = []
    const doorbell = yield* Queue.sliding<void>(1)
    const sharedVersions = new Map<string, bigint>()
    const gasPrice = yield* patiently("reading the reference gas price", () => client.core.getReferenceGasPrice()).pipe(
      Effect.map((r) => BigInt(r.referenceGasPrice))
    )

    const pool = yield* makeGasPool({
      sui,
      gasPrice,
      poolSize,
      minCoinBalance,
      splitAmount,
      lowBalanceRetryMs,
      patiently,
      stats
    })

    const publish = (op: OutboxOp, result: SettlementResult, digest: string | null, detail: string | null) =>
      Effect.gen(function* () {
        yield* PubSub.publish(outcomes, {
          kind: op.kind,
          appInstance: op.appInstance,
          jobSequence: op.jobSequence,
          result,
          txDigest: digest,
          detail
        })
        const ws = waiters.get(op.id)
        if (ws !== undefined) {
          waiters.delete(op.id)
          for (const w of ws) yield* Deferred.succeed(w, result)
        }
        const cs = callWaiters.get(op.id)
        if (cs !== undefined) {
          callWaiters.delete(op.id)
          for (const w of cs) yield* Deferred.succeed(w, { result, txDigest: digest, detail })
        }
      })

    const checkIdle = Effect.suspend(() => {
      if (queue.length > 0 || inflightTxs > 0) return Effect.void
      const ws = idleWaiters.splice(0)
      return Effect.forEach(ws, (w) => Deferred.succeed(w, undefined), { discard: true })
    })

    const journalFail = (e: JournalError) => new SettlementError({ reason: "Journal", message: `${e.op}: ${e.message}` })

    // ---- app instances ------------------------------------------------------------------------

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

    // ---- executing one transaction --------------------------------------------------------

    const lookup = (digest: string) => lookupExecuted(client, digest)
    const submit = (tx: { digest: string; bytes: Uint8Array; signature: string }) =>
      submitSigned(client, tx, { initialMs: retryInitialMs, maxMs: retryMaxMs, onRetry: () => void stats.retries++ })

    /** Applies an execution outcome to the ops of `groups`; returns whether the coin survives. */
    const settle = (
      digest: string,
      groups: ReadonlyArray<MulticallGroup>,
      coin: GasCoin | undefined,
      outcome: ExecOutcome,
      merging: ReadonlyArray<GasCoin> = []
    ) =>
      Effect.gen(function* () {
        const ops = groups.flatMap((g) => g.ops)
        yield* PubSub.publish<SettledTx>(txs, {
          digest,
          ops: ops.length,
          kinds: kindsOf(ops),
          result: outcome._tag === "NotExecuted" ? "not_executed" : outcome.success ? "success" : "failed",
          gasUsedMist: outcome._tag === "NotExecuted" ? null : outcome.used.toString(),
          detail: outcome._tag === "NotExecuted" ? `${outcome.code}: ${outcome.message}` : outcome.success ? null : clampError(describeFailure(outcome.error))
        })
        if (outcome._tag === "NotExecuted") {
          const failure = classifyFailure(outcome, groups.length)
          yield* pool.returnDust(merging, true)
          stats.failedTransactions++
          if (failure._tag === "Stale" || failure._tag === "Locked") stats.versionConflicts++
          yield* Effect.logWarning(`settlement tx ${digest} not executed (${outcome.code}: ${outcome.message}); refreshing and retrying its ${ops.length} ops`)
          yield* journal.requeue(digest).pipe(Effect.orDie)
          for (const g of groups) sharedVersions.delete(g.appInstance)
          // A coin that is gone or too poor is retired; the ops move on to another coin.
          // a coin version locked by another transaction stays unusable this epoch: retire it
          const alive = coin === undefined ? true : failure._tag === "Locked" ? false : yield* pool.refresh(coin)
          const keep: OutboxOp[] = []
          for (const op of ops) {
            if (givesUp(failure, op.attempts)) {
              yield* journal.abandon([op.id], `not executed after ${op.attempts + 1} attempts: ${outcome.message}`).pipe(Effect.orDie)
              yield* publish(op, "aborted", null, outcome.message)
            } else keep.push({ ...op, state: "queued", txDigest: null, attempts: op.attempts + 1 })
          }
          queue.unshift(...keep.map((op) => ({ op, isolate: undefined })))
          yield* Effect.sleep(Duration.millis(retryInitialMs))
          return alive
        }
        if (coin !== undefined && outcome.gas !== undefined) {
          coin.version = outcome.gas.version
          coin.digest = outcome.gas.digest
          coin.balance -= outcome.used
          for (const d of merging) coin.balance += d.balance
          stats.merged += merging.length
        }
        stats.transactions++
        yield* Metric.increment(settlementTransactions)
        if (outcome.success) {
          const results: OpResult[] = resultsFromEvents(groups, outcome.events, sui.packageId)
          yield* journal.finish(digest, results).pipe(Effect.orDie)
          const byId = new Map(results.map((r) => [r.id, r.state]))
          const detailOf = new Map(results.map((r) => [r.id, r.outcome ?? null]))
          const missing: OutboxOp[] = []
          for (const op of ops) {
            const st = byId.get(op.id)
            if (st === undefined) {
              missing.push({ ...op, state: "queued", txDigest: null })
              continue
            }
            stats.executedOps++
            yield* Metric.increment(settlementOps)
            yield* publish(op, st, digest, detailOf.get(op.id) ?? null)
          }
          if (missing.length > 0) queue.unshift(...missing.map((op) => ({ op, isolate: undefined })))
          return true
        }
        // Executed but failed: nothing of it applied.
        stats.failedTransactions++
        const failure = classifyFailure(outcome, groups.length)
        yield* journal.requeue(digest).pipe(Effect.orDie)
        if (failure._tag !== "CommandFailed") {
          yield* Effect.logWarning(`settlement tx ${digest} failed without a command index: ${JSON.stringify(outcome.error)}; retrying`)
          queue.unshift(...ops.map((op) => ({ op: { ...op, state: "queued" as const, txDigest: null }, isolate: undefined })))
          yield* Effect.sleep(Duration.millis(retryInitialMs))
          return true
        }
        stats.aborts++
        yield* Metric.increment(settlementAborts)
        const { command, detail } = failure
        const bad = groups[command]!.ops
        const others = groups.flatMap((g, i) => (i === command ? [] : g.ops))
        yield* Effect.logError(`settlement tx ${digest}: ${detail}; isolating ${bad.length} op(s), resubmitting ${others.length}`)
        const requeued: Entry[] = others.map((op) => ({ op: { ...op, state: "queued", txDigest: null }, isolate: undefined }))
        if (bad.length === 1) {
          const op = bad[0]!
          yield* journal.abandon([op.id], detail).pipe(Effect.orDie)
          yield* publish(op, "aborted", digest, detail)
        } else {
          const half = Math.ceil(bad.length / 2)
          const a = ++isolateGroup
          const b = ++isolateGroup
          bad.forEach((op, i) => requeued.push({ op: { ...op, state: "queued", txDigest: null }, isolate: i < half ? a : b }))
        }
        queue.unshift(...requeued)
        return true
      })

    /** Takes the next batch: an isolated group alone, else up to `maxOpsPerTx` ordinary ops. */
    const takeBatch = (): OutboxOp[] => {
      const iso = queue.findIndex((e) => e.isolate !== undefined)
      if (iso >= 0) {
        const id = queue[iso]!.isolate
        const picked: OutboxOp[] = []
        for (let i = queue.length - 1; i >= 0; i--) {
          if (queue[i]!.isolate === id) picked.unshift(queue.splice(i, 1)[0]!.op)
        }
        return picked
      }
      const picked: OutboxOp[] = []
      let bytes = 0
      for (let i = 0; i < queue.length && picked.length < maxOpsPerTx; ) {
        const e = queue[i]!
        if (e.isolate !== undefined || (e.op.kind === "call" && callsInFlight.has(e.op.appInstance))) {
          i++
          continue
        }
        const b = opBytes(e.op)
        if (picked.length > 0 && bytes + b > MAX_TX_OP_BYTES) break
        bytes += b
        picked.push(queue.splice(i, 1)[0]!.op)
      }
      return picked
    }

    const runBatch = (ops: OutboxOp[], coin: GasCoin) =>
      Effect.gen(function* () {
        let alive = true
        const groups = groupOps(ops, maxOpsPerCall)
        const versions = yield* Effect.forEach(groups, (g) => Effect.map(sharedVersionOf(g.appInstance), (v) => [g.appInstance, v] as const)).pipe(
          Effect.either
        )
        if (versions._tag === "Left") {
          yield* Effect.logWarning(`cannot read app instances: ${String(versions.left)}; retrying`)
          queue.unshift(...ops.map((op) => ({ op, isolate: undefined })))
          yield* Effect.sleep(Duration.millis(retryInitialMs))
          return yield* pool.release(coin, true)
        }
        const merging = pool.takeDust(8)
        const count = BigInt(ops.length)
        const budget = [MAX_BUDGET, 50_000_000n + 10_000_000n * count, coin.balance].reduce((a, b) => (a < b ? a : b))
        const built = yield* Effect.tryPromise(() =>
          buildSettlementTx({
            packageId: sui.packageId,
            keypair: sui.keypair,
            sender: sui.address,
            groups,
            sharedVersions: new Map(versions.right),
            gas: coin,
            mergeGas: merging,
            gasPrice,
            gasBudget: budget,
            availableMemoryBytes
          })
        ).pipe(
          Effect.flatMap((b) =>
            Effect.as(
              journal.markInflight({ digest: b.digest, bytes: b.bytes, signature: b.signature, gasCoin: coin.objectId, opIds: ops.map((o) => o.id) }),
              b
            )
          ),
          Effect.either
        )
        if (built._tag === "Left") {
          // Nothing was submitted: the ops are still queued in the journal; put them back.
          yield* Effect.logError(`cannot prepare a settlement transaction: ${String(built.left)}; retrying`)
          queue.unshift(...ops.map((op) => ({ op, isolate: undefined })))
          yield* pool.returnDust(merging, false)
          yield* Effect.sleep(Duration.millis(retryMaxMs))
          return yield* pool.release(coin, true)
        }
        const outcome = yield* submit(built.right)
        alive = yield* settle(built.right.digest, groups, coin, outcome, merging)
        yield* pool.release(coin, alive)
      }).pipe(
        Effect.ensuring(
          Effect.suspend(() => {
            inflightTxs--
            return Effect.zipRight(Queue.offer(doorbell, undefined), checkIdle)
          })
        )
      )

    // ---- recovery of transactions signed before a crash ----------------------------------------

    const recover = (tx: InflightTx, j: JournalService) =>
      Effect.gen(function* () {
        const ops = yield* j.getOps(tx.opIds).pipe(Effect.orDie)
        const groups = groupOps(ops, maxOpsPerCall)
        const prior = yield* lookup(tx.digest)
        const outcome = prior._tag === "Some" ? prior.value : yield* submit(tx)
        yield* Effect.logInfo(`recovered settlement tx ${tx.digest}: ${outcome._tag === "Executed" ? "executed" : `not executed (${outcome.code})`}`)
        // The rebuilt groups must match the signed ones: same ops, same order (ids ascending per app).
        yield* settle(tx.digest, groups, undefined, outcome)
      })

    const inflight = yield* journal.inflightTxs.pipe(Effect.orDie)
    for (const tx of inflight) yield* recover(tx, journal)
    const open = yield* journal.openOps.pipe(Effect.orDie)
    const queuedIds = new Set(queue.map((e) => e.op.id))
    for (const op of open) if (op.state === "queued" && !queuedIds.has(op.id)) queue.push({ op, isolate: undefined })

    // Only now: a recovered transaction may have consumed a coin version the pool would list.
    yield* pool.fill
    yield* Effect.logInfo(`settlement ready: ${stats.coins} gas coin(s), ${queue.length} op(s) queued from the journal`)

    // ---- the settle loop ---------------------------------------------------------------------

    const fibers = yield* FiberSet.make()
    const loop = Effect.gen(function* () {
      while (true) {
        if (queue.length === 0) {
          yield* checkIdle
          yield* Queue.take(doorbell)
          continue
        }
        if (lingerMs > 0) yield* Effect.sleep(Duration.millis(lingerMs))
        const coin = yield* pool.acquire
        const ops = takeBatch()
        if (ops.length === 0) {
          // Only calls of busy instances are queued: wait for a transaction to end (or a new op).
          yield* pool.release(coin, true)
          yield* Queue.take(doorbell)
          continue
        }
        inflightTxs++
        const calling = [...new Set(ops.filter((op) => op.kind === "call").map((op) => op.appInstance))]
        for (const app of calling) callsInFlight.set(app, (callsInFlight.get(app) ?? 0) + 1)
        const release = Effect.sync(() => {
          for (const app of calling) {
            const n = (callsInFlight.get(app) ?? 1) - 1
            if (n === 0) callsInFlight.delete(app)
            else callsInFlight.set(app, n)
          }
        })
        // Released before the doorbell rings again, so the loop sees the instance free.
        yield* FiberSet.run(fibers, runBatch(ops, coin).pipe(Effect.ensuring(Effect.zipRight(release, Queue.offer(doorbell, undefined)))))
      }
    })
    yield* Effect.forkScoped(loop)
    // Settled ops are kept a day for inspection, then dropped so the journal stays small.
    yield* journal.pruneFinished(keepFinishedMs).pipe(
      Effect.catchAll((e) => Effect.logWarning(`cannot prune the settlement outbox: ${e.message}`)),
      Effect.delay(Duration.minutes(10)),
      Effect.forever,
      Effect.forkScoped
    )

    // ---- the API -----------------------------------------------------------------------------

    const enqueue = (op: { kind: OpKind; appInstance: string; jobSequence: bigint; error?: string; session?: string; payload?: string }) =>
      Effect.gen(function* () {
        const [stored] = yield* journal.enqueue([op]).pipe(Effect.mapError(journalFail))
        if (!queue.some((e) => e.op.id === stored!.id) && stored!.state === "queued") queue.push({ op: stored!, isolate: undefined })
        yield* Queue.offer(doorbell, undefined)
        return stored!
      })

    const requireStarted = (app: string, seq: bigint) =>
      Effect.flatMap(journal.isStarted(app, seq).pipe(Effect.mapError(journalFail)), (ok) =>
        ok
          ? Effect.void
          : Effect.fail(new SettlementError({ reason: "NotStartedHere", message: `job ${seq} of ${app} was not started by this coordinator` }))
      )

    const service: SettlementService = {
      call: (appInstance, seq, c, session) =>
        Effect.gen(function* () {
          const app = appKey(appInstance)
          yield* requireStarted(app, seq)
          const stored = yield* enqueue({ kind: "call", appInstance: app, jobSequence: seq, payload: encodeCall(c), ...(session === undefined ? {} : { session }) })
          if (stored.state !== "queued" && stored.state !== "inflight") {
            return Effect.succeed<CallOutcome>({ result: stored.state, txDigest: stored.txDigest, detail: stored.outcome })
          }
          const d = Deferred.unsafeMake<CallOutcome>(undefined as never)
          const ws = callWaiters.get(stored.id)
          if (ws === undefined) callWaiters.set(stored.id, [d])
          else ws.push(d)
          return Deferred.await(d)
        }).pipe(Effect.withSpan("Settlement.call")),
      start: (appInstance, seqs) =>
        Effect.gen(function* () {
          const app = appKey(appInstance)
          const stored = yield* journal
            .enqueue(seqs.map((s) => ({ kind: "start" as const, appInstance: app, jobSequence: s })))
            .pipe(Effect.mapError(journalFail))
          const pending = stored.map((op) => {
            const d = Deferred.unsafeMake<SettlementResult>(undefined as never)
            const ws = waiters.get(op.id)
            if (ws === undefined) waiters.set(op.id, [d])
            else ws.push(d)
            if (op.state === "queued" && !queue.some((e) => e.op.id === op.id)) queue.push({ op, isolate: undefined })
            return [op.jobSequence, d] as const
          })
          yield* Queue.offer(doorbell, undefined)
          const out = new Map<bigint, boolean>()
          for (const [seq, d] of pending) out.set(seq, (yield* Deferred.await(d)) === "done")
          return out as ReadonlyMap<bigint, boolean>
        }).pipe(Effect.withSpan("Settlement.start")),
      complete: (appInstance, seq, session) =>
        Effect.gen(function* () {
          const app = appKey(appInstance)
          yield* requireStarted(app, seq)
          yield* enqueue(session === undefined ? { kind: "complete", appInstance: app, jobSequence: seq } : { kind: "complete", appInstance: app, jobSequence: seq, session })
        }).pipe(Effect.withSpan("Settlement.complete")),
      fail: (appInstance, seq, error, session) =>
        Effect.gen(function* () {
          const app = appKey(appInstance)
          yield* requireStarted(app, seq)
          yield* enqueue(
            session === undefined
              ? { kind: "fail", appInstance: app, jobSequence: seq, error: clampError(error) }
              : { kind: "fail", appInstance: app, jobSequence: seq, error: clampError(error), session }
          )
        }).pipe(Effect.withSpan("Settlement.fail")),
      terminate: (appInstance, seq) =>
        Effect.gen(function* () {
          const app = appKey(appInstance)
          yield* requireStarted(app, seq)
          yield* enqueue({ kind: "terminate", appInstance: app, jobSequence: seq })
        }).pipe(Effect.withSpan("Settlement.terminate")),
      outcomes: Stream.fromPubSub(outcomes),
      transactions: Stream.fromPubSub(txs),
      awaitIdle: Effect.suspend(() => {
        if (queue.length === 0 && inflightTxs === 0) return Effect.void
        const d = Deferred.unsafeMake<void>(undefined as never)
        idleWaiters.push(d)
        return Deferred.await(d)
      }),
      stats: Effect.sync(() => ({ ...stats, queued: queue.length, inflightTransactions: inflightTxs }))
    }
    return service
  })

/** Batched settlement of job operations. */
export class Settlement extends Context.Tag("silvana/Settlement")<Settlement, SettlementService>() {
  static readonly layer = (options: SettlementOptions = {}) => Layer.scoped(Settlement, makeSettlement(options))
}

export type { SuiClientService }
