/**
 * chainTruth — the chain is the truth: compares what the journal believes it settled with what the
 * node has, and repairs what disagrees.
 *
 * For every job with a settled op in the last window (its latest op decides what we believe):
 * - a completion, failure or termination the chain never saw (its transaction is missing) while the
 *   job is Running for us → the op is submitted again;
 * - a start the chain never saw while the job is Pending → submitted again if an agent may be on
 *   it, else the job is dispatched again; Running for someone else → the job is no longer ours;
 * - a completion that was rejected, or lost together with its start, while the job is Pending →
 *   the job is dispatched again (its agent's work did not count).
 * Each repair is idempotent: a repaired job has a newer op (or is pending in the store again), so
 * the next pass finds nothing. Passes run on a timer, after every event-stream reconnect, and on
 * demand (replay gaps, rewinds); `/health` reports the divergence until a pass finds none.
 */
import { Clock, Duration, Effect, Metric, Option, Queue, Ref } from "effect"
import { chainDivergent, chainRepairs } from "../chain/metrics.js"
import { oldestRetainedMs, txPresence } from "../chain/execute.js"
import type { JobState } from "../domain/job.js"
import type { OutboxOp } from "../domain/outbox.js"
import { ChainEvents } from "../layers/ChainEvents.js"
import { type ChainJob, ChainState } from "../layers/ChainState.js"
import type { Check } from "../layers/Health.js"
import { JobStore } from "../layers/JobStore.js"
import { Journal } from "../layers/Journal.js"
import { Settlement } from "../layers/Settlement.js"
import { SuiClient } from "../layers/SuiClient.js"
import { jobDataOf } from "../chain/jobData.js"

export type Presence = "present" | "missing" | "unknown"

/** What one job needs to agree with the chain again. */
export type Repair =
  | { readonly _tag: "Resubmit"; readonly op: OutboxOp }
  | { readonly _tag: "ResubmitStart"; readonly op: OutboxOp }
  | { readonly _tag: "Redispatch"; readonly op: OutboxOp; readonly job: ChainJob }
  | { readonly _tag: "LostStart"; readonly op: OutboxOp }

export type RepairKind = "resubmit_complete" | "resubmit_fail" | "resubmit_terminate" | "resubmit_start" | "redispatch" | "lost_start"

export const repairKind = (r: Repair): RepairKind =>
  r._tag === "Resubmit"
    ? r.op.kind === "fail"
      ? "resubmit_fail"
      : r.op.kind === "terminate"
        ? "resubmit_terminate"
        : "resubmit_complete"
    : r._tag === "ResubmitStart"
      ? "resubmit_start"
      : r._tag === "Redispatch"
        ? "redispatch"
        : "lost_start"

/** What we know of one job for `diagnose`. */
export interface JobView {
  /** Its latest settled op. */
  readonly last: OutboxOp
  /** Its latest executed start op, if still in the window. */
  readonly lastStart: OutboxOp | undefined
  readonly presence: (digest: string | null) => Presence
  /** The job on chain (`undefined`: gone — settled or removed). */
  readonly chain: ChainJob | undefined
  /** Its state in the JobStore (`undefined`: not there). */
  readonly store: JobState | undefined
  /** The journal still lists it as started by us. */
  readonly startedHere: boolean
}

const active = (s: JobState | undefined) => s === "pending" || s === "starting" || s === "started" || s === "held"

/** The repair a job needs, if any (pure). */
export const diagnose = (v: JobView): Repair | undefined => {
  const { last, chain } = v
  const status = chain?.status._tag
  if (status === undefined || status === "Failed") {
    // Gone or finally failed: nothing left to settle; a start of ours the chain never saw is forgotten.
    return last.kind === "start" && last.state === "done" && v.presence(last.txDigest) === "missing" && v.startedHere
      ? { _tag: "LostStart", op: last }
      : undefined
  }
  const redispatch = (): Repair | undefined => (active(v.store) ? undefined : { _tag: "Redispatch", op: last, job: chain! })
  if (last.kind === "start") {
    if (last.state !== "done" || v.presence(last.txDigest) !== "missing") return undefined
    if (status === "Running") return v.startedHere || v.store === "started" ? { _tag: "LostStart", op: last } : undefined
    // Pending: the start vanished. An agent may be on it (or about to be): start it again.
    if (v.store === "started" || v.store === "held") return { _tag: "ResubmitStart", op: last }
    return redispatch()
  }
  // complete / fail / terminate
  const ourRunOpen =
    v.lastStart !== undefined && v.lastStart.id < last.id && v.presence(v.lastStart.txDigest) === "present"
  if (last.state === "done") {
    if (v.presence(last.txDigest) !== "missing") return undefined
    if (status === "Running") return v.lastStart === undefined || v.presence(v.lastStart.txDigest) !== "missing" ? { _tag: "Resubmit", op: last } : undefined
    return redispatch()
  }
  // rejected: the chain said the job was not ours to settle.
  if (status === "Pending") return redispatch()
  return ourRunOpen ? { _tag: "Resubmit", op: last } : undefined
}

export interface AuditReport {
  readonly checkedJobs: number
  readonly checkedTxs: number
  readonly missingTxs: number
  /** Jobs found diverging in this pass (repairs were started for them). */
  readonly divergent: number
  /** Jobs that could not be compared (node unreachable). */
  readonly unknown: number
  readonly repairs: Readonly<Partial<Record<RepairKind, number>>>
}

export interface ChainTruthOptions {
  /** Settled ops younger than this are compared. */
  readonly windowMs: number
  /** Time between passes. */
  readonly every: Duration.DurationInput
  /** A pass with divergence is followed by another this soon (default 1 s), until one finds none. */
  readonly recheck?: Duration.DurationInput
}

/** Clock skew allowed between this host and the node when deciding a transaction could not have been pruned. */
export const PRUNE_SLACK_MS = 60_000

/**
 * The node's answer about a transaction created at `createdAt`, judged against what the node
 * retains (`retainedSinceMs`, read after it answered): NOT_FOUND proves the transaction missing
 * only when it is younger than the oldest retained checkpoint (and a minute of clock skew); older,
 * or with the retention unknown, it may have been pruned and proves nothing.
 */
export const judgePresence = (answer: Presence, createdAt: number, retainedSinceMs: number | undefined): Presence =>
  answer === "missing" && (retainedSinceMs === undefined || createdAt < retainedSinceMs + PRUNE_SLACK_MS) ? "unknown" : answer

const keyOf = (op: { readonly appInstance: string; readonly jobSequence: bigint }) => `${op.appInstance}:${op.jobSequence}`

/** Carries one repair out. */
const repairJob = (r: Repair) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const store = yield* JobStore
    const settlement = yield* Settlement
    const { appInstance: ai, jobSequence: seq } = r.op
    switch (r._tag) {
      case "Resubmit":
        yield* journal.restoreStarted(ai, seq)
        if (r.op.kind === "complete") yield* settlement.complete(ai, seq)
        else if (r.op.kind === "fail") yield* settlement.fail(ai, seq, r.op.error ?? "failed")
        else yield* settlement.terminate(ai, seq)
        return
      case "ResubmitStart": {
        const won = yield* settlement.start(ai, [seq])
        if (won.get(seq) !== true) yield* Effect.logWarning("a lost start was submitted again and lost the race", { job_sequence: String(seq) })
        return
      }
      case "Redispatch":
        yield* journal.forgetStarted(ai, seq)
        yield* store.resetToPending(jobDataOf(r.job))
        return
      case "LostStart": {
        yield* journal.forgetStarted(ai, seq)
        const known = yield* store.getBySequence(ai, seq)
        if (Option.isSome(known) && known.value.state === "started") yield* store.remove(ai, seq)
        return
      }
    }
  })


/** One comparison pass; `confirmed` holds the digests the node is known to have (updated in place). */
const comparePass = (options: ChainTruthOptions, confirmed: Set<string>) =>
  Effect.gen(function* () {
    const journal = yield* Journal
    const chain = yield* ChainState
    const store = yield* JobStore
    const sui = yield* SuiClient
    const now = yield* Clock.currentTimeMillis
    const settled = yield* journal.settledSince(now - options.windowMs)
    const open = new Set((yield* journal.openOps).filter((op) => op.kind !== "call").map(keyOf))
    const lastOf = new Map<string, OutboxOp>()
    const startOf = new Map<string, OutboxOp>()
    for (const op of settled) {
      const k = keyOf(op)
      if (open.has(k)) continue
      lastOf.set(k, op)
      if (op.kind === "start" && op.state === "done") startOf.set(k, op)
    }
    // A transaction from before the node's oldest checkpoint may have been pruned: its absence
    // proves nothing, so only younger ones are asked about (a minute's slack for clock skew; an op
    // is created before its transaction executes). Unknown retention: nothing is judged missing.
    const retainedSince = yield* oldestRetainedMs(sui.client)
    const judgeable = (op: OutboxOp | undefined): op is OutboxOp & { readonly txDigest: string } =>
      op?.txDigest != null && !confirmed.has(op.txDigest) && judgePresence("missing", op.createdAt, retainedSince) === "missing"
    // Which transactions the node still has (each digest once; known ones are not asked again).
    const digests = new Map<string, number>()
    for (const [k, op] of lastOf) {
      if (judgeable(op)) digests.set(op.txDigest, op.createdAt)
      const s = startOf.get(k)
      if (judgeable(s)) digests.set(s.txDigest, s.createdAt)
    }
    const presence = new Map<string, Presence>()
    yield* Effect.forEach(
      digests.keys(),
      (d) => Effect.map(txPresence(sui.client, d), (p) => presence.set(d, p)),
      { concurrency: 8, discard: true }
    )
    // The node may have pruned while it was asked: a transaction it no longer has counts as missing
    // only if it is younger than what the node retains now (pruning only moves that forward). Read
    // before the questions alone, a prune in between made a pruned start look lost.
    if ([...presence.values()].includes("missing")) {
      const retainedNow = yield* oldestRetainedMs(sui.client)
      for (const [d, p] of presence) presence.set(d, judgePresence(p, digests.get(d)!, retainedNow))
    }
    const presenceOf = (d: string | null): Presence => (d === null ? "unknown" : confirmed.has(d) ? "present" : (presence.get(d) ?? "unknown"))
    // Only jobs whose belief the chain may contradict need a chain read.
    const suspects = [...lastOf.entries()].filter(([k, op]) => {
      if (op.state === "rejected") return op.kind !== "start"
      return presenceOf(op.txDigest) === "missing" || presenceOf(startOf.get(k)?.txDigest ?? null) === "missing"
    })
    const byApp = new Map<string, Array<bigint>>()
    for (const [, op] of suspects) byApp.set(op.appInstance, [...(byApp.get(op.appInstance) ?? []), op.jobSequence])
    const onChain = new Map<string, ChainJob>()
    const unreadable = new Set<string>()
    for (const [ai, seqs] of byApp) {
      const jobs = yield* chain.jobs(ai, seqs).pipe(Effect.option)
      if (Option.isNone(jobs)) {
        unreadable.add(ai)
        continue
      }
      for (const j of jobs.value) onChain.set(`${ai}:${j.jobSequence}`, j)
    }
    const repairs: Partial<Record<RepairKind, number>> = {}
    let divergent = 0
    let unknown = 0
    for (const [k, op] of suspects) {
      if (unreadable.has(op.appInstance)) {
        unknown += 1
        continue
      }
      const known = yield* store.getBySequence(op.appInstance, op.jobSequence)
      const fix = diagnose({
        last: op,
        lastStart: startOf.get(k),
        presence: presenceOf,
        chain: onChain.get(k),
        store: Option.isSome(known) ? known.value.state : undefined,
        startedHere: yield* journal.isStarted(op.appInstance, op.jobSequence)
      })
      if (fix === undefined) continue
      divergent += 1
      const kind = repairKind(fix)
      yield* Effect.logWarning("journal and chain disagree; repairing", {
        app_instance: op.appInstance,
        job_sequence: String(op.jobSequence),
        op: op.kind,
        op_state: op.state,
        chain: onChain.get(k)?.status._tag ?? "gone",
        repair: kind
      })
      yield* repairJob(fix).pipe(
        Effect.tap(() =>
          Effect.sync(() => (repairs[kind] = (repairs[kind] ?? 0) + 1)).pipe(Effect.zipRight(Metric.increment(Metric.tagged(chainRepairs, "kind", kind))))
        ),
        Effect.catchAll((e) => Effect.logWarning("repair failed; retried at the next pass", { job_sequence: String(op.jobSequence), error: e.message }))
      )
    }
    // Keep what the node has: only digests still in the window.
    const keep = new Set<string>()
    for (const [k, op] of lastOf) {
      for (const d of [op.txDigest, startOf.get(k)?.txDigest ?? null]) if (d !== null && presenceOf(d) === "present") keep.add(d)
    }
    confirmed.clear()
    for (const d of keep) confirmed.add(d)
    const report: AuditReport = {
      checkedJobs: lastOf.size,
      checkedTxs: digests.size,
      missingTxs: [...presence.values()].filter((p) => p === "missing").length,
      divergent,
      unknown,
      repairs
    }
    yield* Metric.set(chainDivergent, divergent)
    if (divergent > 0) yield* Effect.logWarning("compared the journal with the chain: divergence found and repairs started", { ...report.repairs, divergent })
    return report
  }).pipe(Effect.withSpan("program.chainTruth"))


export const makeChainTruth = (options: ChainTruthOptions) =>
  Effect.gen(function* () {
    const events = yield* ChainEvents
    const context = yield* Effect.context<Journal | ChainState | JobStore | Settlement | SuiClient>()
    /** Digests seen on chain; cleared when the node may have lost data (reconnect, gap, rewind). */
    const confirmed = new Set<string>()
    const last = yield* Ref.make<AuditReport | undefined>(undefined)
    const passes = yield* Ref.make(0)
    const triggers = yield* Queue.sliding<boolean>(1)
    const lock = yield* Effect.makeSemaphore(1)

    const audit = (full: boolean) =>
      Effect.gen(function* () {
        if (full) confirmed.clear()
        const report = yield* comparePass(options, confirmed)
        yield* Ref.set(last, report)
        yield* Ref.update(passes, (n) => n + 1)
        return report
      }).pipe(lock.withPermits(1), Effect.provide(context))

    /** Runs passes: on the timer, on a trigger, after a reconnect; faster while divergent. */
    const run = Effect.gen(function* () {
      let reconnects = (yield* events.stats).reconnects
      let nextAt = (yield* Clock.currentTimeMillis) + Duration.toMillis(options.every)
      while (true) {
        const report = yield* Ref.get(last)
        const wait = report !== undefined && report.divergent + report.unknown > 0 ? Duration.toMillis(options.recheck ?? Duration.seconds(1)) : 1_000
        const trigger = yield* Queue.take(triggers).pipe(Effect.timeout(Duration.millis(wait)), Effect.option)
        const seen = (yield* events.stats).reconnects
        const now = yield* Clock.currentTimeMillis
        const reconnected = seen !== reconnects
        reconnects = seen
        const due = now >= nextAt || (report !== undefined && report.divergent + report.unknown > 0)
        if (Option.isNone(trigger) && !reconnected && !due) continue
        nextAt = now + Duration.toMillis(options.every)
        yield* audit(reconnected || Option.getOrElse(trigger, () => false)).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("comparing the journal with the chain failed; retried at the next pass", cause))
        )
      }
    })

    /** `chain_truth` part: unhealthy while the last pass found divergence. */
    const check: Check = Effect.map(Effect.zip(Ref.get(last), Ref.get(passes)), ([r, n]) =>
      r === undefined || r.divergent === 0
        ? { healthy: true, details: { divergent: 0, passes: n, ...(r === undefined ? {} : { checked_jobs: r.checkedJobs }) } }
        : {
            healthy: false,
            details: {
              divergent: r.divergent,
              passes: n,
              repairs: r.repairs,
              error: `${r.divergent} job(s) disagree with the chain; repairs are under way`
            }
          }
    )

    return {
      audit,
      run,
      check,
      /** Asks for a pass soon (`full`: ask the node about every transaction again). */
      trigger: (full: boolean) => Queue.offer(triggers, full).pipe(Effect.asVoid),
      lastReport: Ref.get(last)
    }
  })

export type ChainTruth = Effect.Effect.Success<ReturnType<typeof makeChainTruth>>
