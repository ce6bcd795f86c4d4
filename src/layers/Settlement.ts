/**
 * Settlement — turns start/complete/fail/terminate into batched transactions. The outbox's order
 * and batching are in settlement/outbox.ts, a transaction's life in settlement/batches.ts; this file
 * is the service: recovery at start, the settle loop and the API.
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
import { Context, Data, Deferred, Duration, Effect, FiberSet, Layer, PubSub, Queue, Schedule, Schema, Stream } from "effect"
import { type AppCall, callFn, encodeCall } from "../chain/appCalls.js"
import { makeGasPool } from "../chain/gasPool.js"
import { clampError } from "../chain/settleTx.js"
import { type AppInstanceId, AppInstanceIdFromString } from "../domain/ids.js"
import { COORDINATOR_CALL } from "../domain/outbox.js"
import { Journal, type JournalError, type OpKind, type OutboxOp } from "./Journal.js"
import { type ExecutedTx, makeBatches, type SettledTx, type SettlementResult } from "./settlement/batches.js"
import { hotSpan } from "./AgentApi/spans.js"
import { OutboxQueue } from "./settlement/outbox.js"
import { IdleWaiters, OpWaiters } from "./settlement/waiters.js"
import { SuiClient, type SuiClientService } from "./SuiClient.js"

export type { ExecutedTx, SettledTx, SettlementResult } from "./settlement/batches.js"

/** A settlement request was refused. */
export class SettlementError extends Data.TaggedError("SettlementError")<{
  readonly reason: "NotStartedHere" | "InvalidAppInstance" | "Journal" | "Aborted" | "Closed"
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

/** What happened to one op (for metrics and tests). */
export interface SettlementOutcome {
  readonly kind: OpKind
  readonly appInstance: AppInstanceId
  readonly jobSequence: bigint
  readonly result: SettlementResult
  readonly txDigest: string | null
  readonly detail: string | null
  /** The Move function of a `call` op (`submit_proof`, `create_merge_job`…); null for job ops. */
  readonly call: string | null
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
  /** Coins out of the pool because another transaction locked their version this epoch. */
  lockedCoins: number
  /** Coins brought back once the epoch of their lock ended. */
  unlockedCoins: number
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
  /**
   * Queues a Move call the coordinator makes on its own account (`try_create_block`,
   * `create_merge_job`, the settle job's `create_app_job`): no job behind it. The same call still
   * queued or in flight is not queued twice.
   */
  readonly coordinatorCall: (appInstance: string, call: AppCall) => Effect.Effect<Effect.Effect<CallOutcome>, SettlementError>
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
  /**
   * Every transaction of ours that executed and succeeded, with its events, as soon as the node
   * answered: before its checkpoint reaches the event stream (a follower behind loses the oldest).
   */
  readonly executions: Stream.Stream<ExecutedTx>
  /** Resolves once nothing is queued or in flight. */
  readonly awaitIdle: Effect.Effect<void>
  readonly stats: Effect.Effect<Readonly<SettlementStats>>
}

/** The outbox's key of an app instance: its id decoded by `AppInstanceIdFromString`; one that is not hex is refused. */
const appKey = (id: string): Effect.Effect<AppInstanceId, SettlementError> =>
  Schema.decode(AppInstanceIdFromString)(id).pipe(
    Effect.mapError(() => new SettlementError({ reason: "InvalidAppInstance", message: `app instance ${id} is not an object id` }))
  )

const resolveOptions = (options: SettlementOptions) => ({
  maxOpsPerTx: options.maxOpsPerTx ?? 500,
  maxOpsPerCall: options.maxOpsPerCall ?? 250,
  lingerMs: options.lingerMs ?? 5,
  gasCoins: options.gasCoins ?? 4,
  minCoinBalance: options.minCoinBalance ?? 500_000_000n,
  coinSplitAmount: options.coinSplitAmount ?? 50_000_000_000n,
  retryInitialMs: options.retryInitialMs ?? 100,
  retryMaxMs: options.retryMaxMs ?? 5_000,
  availableMemoryBytes: options.availableMemoryBytes ?? 0xffff_ffff_ffff_ffffn,
  lowBalanceRetryMs: options.lowBalanceRetryMs ?? 5_000,
  keepFinishedMs: options.keepFinishedMs ?? 24 * 3_600_000
})

const newStats = (): SettlementStats => ({
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
  lockedCoins: 0,
  unlockedCoins: 0,
  queued: 0,
  inflightTransactions: 0
})

/** The settlement's moving parts: gas pool, outbox queue, waiters, transactions. */
const makeParts = (options: ReturnType<typeof resolveOptions>) =>
  Effect.gen(function* () {
    const sui = yield* SuiClient
    const journal = yield* Journal
    /** Retries a node read with jittered backoff until it answers (start-up must not die on a blip). */
    const patiently = <A>(what: string, f: () => Promise<A>) =>
      Effect.tryPromise(f).pipe(
        Effect.tapError((e) => Effect.logWarning(`settlement: ${what} failed: ${String(e.error ?? e)}; retrying`)),
        Effect.retry(
          Schedule.exponential(Duration.millis(options.retryInitialMs)).pipe(
            Schedule.union(Schedule.spaced(Duration.millis(options.retryMaxMs))),
            Schedule.jittered
          )
        ),
        Effect.orDie
      )
    const stats = newStats()
    const outcomes = yield* PubSub.unbounded<SettlementOutcome>()
    // Dropping is right for observers that fall behind: the transaction list is for display.
    const txs = yield* PubSub.sliding<SettledTx>(1024)
    // The same for our executed transactions' events: an observer behind loses only its head start
    // (discover reads every event from the checkpoints anyway).
    const executions = yield* PubSub.sliding<ExecutedTx>(4096)
    const results = new OpWaiters<SettlementResult>()
    const calls = new OpWaiters<CallOutcome>()
    const queue = new OutboxQueue(options.maxOpsPerTx)
    const gasPrice = yield* patiently("reading the reference gas price", () => sui.client.core.getReferenceGasPrice()).pipe(
      Effect.map((r) => ({ current: BigInt(r.referenceGasPrice) }))
    )
    const pool = yield* makeGasPool({
      sui,
      gasPrice,
      poolSize: options.gasCoins,
      minCoinBalance: options.minCoinBalance,
      splitAmount: options.coinSplitAmount,
      lowBalanceRetryMs: options.lowBalanceRetryMs,
      patiently,
      stats
    })
    const publish = (op: OutboxOp, result: SettlementResult, txDigest: string | null, detail: string | null) =>
      Effect.all(
        [
          PubSub.publish(outcomes, {
            kind: op.kind, appInstance: op.appInstance, jobSequence: op.jobSequence, result, txDigest, detail,
            call: op.kind === "call" && op.payload !== null && op.payload !== undefined ? callFn(op.payload) : null
          }),
          results.resolve(op.id, result),
          calls.resolve(op.id, { result, txDigest, detail })
        ],
        { discard: true }
      )
    const batches = makeBatches({ sui, journal, pool, gasPrice, queue, stats, txs, executions, publish, ...options })
    return { journal, stats, outcomes, txs, executions, results, calls, queue, pool, batches }
  })

type Parts = Effect.Effect.Success<ReturnType<typeof makeParts>>

/** Sends queued ops: one batch per gas coin it can get, each transaction in its own fiber. */
const sendLoop = (
  { batches, pool, queue }: Pick<Parts, "batches" | "pool" | "queue">,
  options: ReturnType<typeof resolveOptions>,
  idle: IdleWaiters,
  doorbell: Queue.Queue<void>,
  inflight: { txs: number }
) =>
  Effect.gen(function* () {
    const fibers = yield* FiberSet.make()
    while (true) {
      if (queue.size === 0) {
        yield* idle.check
        yield* Queue.take(doorbell)
        continue
      }
      if (options.lingerMs > 0) yield* Effect.sleep(Duration.millis(options.lingerMs))
      const coin = yield* pool.acquire
      const ops = queue.takeBatch()
      if (ops.length === 0) {
        // Only calls of instances with calls in flight are queued: wait for a transaction to end.
        yield* pool.release(coin, true)
        yield* Queue.take(doorbell)
        continue
      }
      inflight.txs++
      const done = Effect.suspend(() => {
        inflight.txs--
        queue.release(ops)
        return Effect.zipRight(Queue.offer(doorbell, undefined), idle.check)
      })
      yield* FiberSet.run(fibers, Effect.ensuring(batches.runBatch(ops, coin), done))
    }
  })

export const makeSettlement = (settings: SettlementOptions = {}) =>
  Effect.gen(function* () {
    const options = resolveOptions(settings)
    const { batches, calls, executions, journal, outcomes, pool, queue, results, stats, txs } = yield* makeParts(options)
    const inflight = { txs: 0 }
    const idle = new IdleWaiters(() => queue.size === 0 && inflight.txs === 0)
    const doorbell = yield* Queue.sliding<void>(1)

    // Transactions signed before a crash first, then the ops still queued in the journal.
    for (const tx of yield* journal.inflightTxs) yield* batches.recover(tx)
    for (const op of yield* journal.openOps) queue.add(op)
    // Only now: a recovered transaction may have consumed a coin version the pool would list.
    yield* pool.fill
    yield* Effect.logInfo(`settlement ready: ${stats.coins} gas coin(s), ${queue.size} op(s) queued from the journal`)

    yield* Effect.forkScoped(sendLoop({ batches, pool, queue }, options, idle, doorbell, inflight))
    // Settled ops are kept a day for inspection, then dropped so the journal stays small.
    yield* journal.pruneFinished(options.keepFinishedMs).pipe(
      Effect.catchAll((e) => Effect.logWarning(`cannot prune the settlement outbox: ${e.message}`)),
      Effect.delay(Duration.minutes(10)),
      Effect.forever,
      Effect.forkScoped
    )

    const journalFail = (e: JournalError) => new SettlementError({ reason: "Journal", message: `${e.op}: ${e.message}` })
    // Durable and queued as one step: an op written to the journal but never queued (its caller
    // interrupted in between, e.g. a cancelled RPC at shutdown) would be neither sent nor failed
    // until the next start, leaving its job Running.
    const enqueue = (op: { kind: OpKind; appInstance: AppInstanceId; jobSequence: bigint; error?: string; session?: string; payload?: string }) =>
      Effect.gen(function* () {
        const [stored] = yield* journal.enqueue([op]).pipe(Effect.mapError(journalFail))
        queue.add(stored!)
        yield* Queue.offer(doorbell, undefined)
        return stored!
      }).pipe(Effect.uninterruptible)
    const requireStarted = (app: AppInstanceId, seq: bigint) =>
      Effect.flatMap(journal.isStarted(app, seq).pipe(Effect.mapError(journalFail)), (ok) =>
        ok
          ? Effect.void
          : Effect.fail(new SettlementError({ reason: "NotStartedHere", message: `job ${seq} of ${app} was not started by this coordinator` }))
      )
    /** Queues a complete/fail/terminate of a job this coordinator started. */
    const settleJob = (kind: "complete" | "fail" | "terminate", appInstance: string, seq: bigint, extra: { error?: string; session?: string }) =>
      Effect.gen(function* () {
        const app = yield* appKey(appInstance)
        yield* requireStarted(app, seq)
        yield* enqueue({ kind, appInstance: app, jobSequence: seq, ...extra })
      }).pipe(hotSpan(`Settlement.${kind}`))
    const sessionOf = (session: string | undefined) => (session === undefined ? {} : { session })

    const enqueueCall = (app: AppInstanceId, seq: bigint, c: AppCall, session: string | undefined) =>
      Effect.gen(function* () {
        const stored = yield* enqueue({ kind: "call", appInstance: app, jobSequence: seq, payload: encodeCall(c), ...sessionOf(session) })
        if (stored.state !== "queued" && stored.state !== "inflight") {
          return Effect.succeed<CallOutcome>({ result: stored.state, txDigest: stored.txDigest, detail: stored.outcome })
        }
        return Deferred.await(yield* calls.add(stored.id))
      })

    const service: SettlementService = {
      call: (appInstance, seq, c, session) =>
        Effect.gen(function* () {
          const app = yield* appKey(appInstance)
          yield* requireStarted(app, seq)
          return yield* enqueueCall(app, seq, c, session)
        }).pipe(hotSpan("Settlement.call")),
      coordinatorCall: (appInstance, c) =>
        Effect.flatMap(appKey(appInstance), (app) => enqueueCall(app, COORDINATOR_CALL, c, undefined)).pipe(Effect.withSpan("Settlement.coordinatorCall")),
      start: (appInstance, seqs) =>
        Effect.gen(function* () {
          const app = yield* appKey(appInstance)
          // As in `enqueue`: written and queued together, or not at all.
          const pending = yield* Effect.gen(function* () {
            const stored = yield* journal
              .enqueue(seqs.map((s) => ({ kind: "start" as const, appInstance: app, jobSequence: s })))
              .pipe(Effect.mapError(journalFail))
            const waits = yield* Effect.forEach(stored, (op) =>
              Effect.map(results.add(op.id), (d) => {
                queue.add(op)
                return [op.jobSequence, d] as const
              })
            )
            yield* Queue.offer(doorbell, undefined)
            return waits
          }).pipe(Effect.uninterruptible)
          const out = new Map<bigint, boolean>()
          for (const [seq, d] of pending) out.set(seq, (yield* Deferred.await(d)) === "done")
          return out as ReadonlyMap<bigint, boolean>
        }).pipe(Effect.withSpan("Settlement.start")),
      complete: (appInstance, seq, session) => settleJob("complete", appInstance, seq, sessionOf(session)),
      fail: (appInstance, seq, error, session) => settleJob("fail", appInstance, seq, { error: clampError(error), ...sessionOf(session) }),
      terminate: (appInstance, seq) => settleJob("terminate", appInstance, seq, {}),
      outcomes: Stream.fromPubSub(outcomes),
      transactions: Stream.fromPubSub(txs),
      executions: Stream.fromPubSub(executions),
      awaitIdle: idle.await,
      stats: Effect.sync(() => ({ ...stats, queued: queue.size, inflightTransactions: inflight.txs }))
    }
    return service
  })

export { COORDINATOR_CALL } from "../domain/outbox.js"

/** Batched settlement of job operations. */
export class Settlement extends Context.Tag("silvana/Settlement")<Settlement, SettlementService>() {
  static readonly layer = (options: SettlementOptions = {}) => Layer.scoped(Settlement, makeSettlement(options))
}

export type { SuiClientService }
