/**
 * JobStore — the coordinator's in-memory job database.
 *
 * Jobs are keyed by (app instance, job sequence) and indexed by triple, by app instance, by job id
 * and by the session holding them. Every transition is one synchronous step inside `Effect.sync`:
 * JavaScript runs one fiber step at a time, so a transition can never interleave with another and no
 * job can be handed to two sessions. (An STM map would give the same guarantee at several times the
 * cost per operation; the store sits on the hot path of every GetJob.)
 */
import { Context, Effect, Layer, Option, type Scope } from "effect"
import { type AppInstanceId, type JobId, type SessionId, tripleKey } from "../domain/ids.js"
import type { JobData, JobReport, JobState, StoredJob } from "../domain/job.js"
import { ByteSlab } from "../domain/byteSlab.js"
import { makeJobIdGenerator } from "../domain/jobId.js"
import { jobRankKey } from "../domain/jobRank.js"
import { shortSecret } from "../domain/redact.js"
import type { JobCounts } from "../domain/statusView.js"
import { Config } from "./Config.js"
import { RankedQueue } from "./jobQueue.js"

export interface TripleRef {
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
}

/** Why a session's report was refused (answered as `success=false` with this message). */
export type ReportRefusal =
  | { readonly _tag: "NotHeld"; readonly message: string }
  | { readonly _tag: "AlreadySettled"; readonly message: string }

/** The one answer to a job the session does not hold, whether the job exists or not. */
export const notHeldMessage = (jobId: string, sessionId: SessionId): string => `job ${jobId} is not held by session ${shortSecret(sessionId)}`

export type ReportOutcome =
  | { readonly _tag: "Accepted"; readonly report: JobReport }
  | { readonly _tag: "Duplicate"; readonly report: JobReport }
  | ReportRefusal

export type ReportKind = JobReport["kind"]

/**
 * One transition of a job, for observers (the status page's timelines): the job's data and its
 * new state, or `removed` once its outcome is on chain (or it vanished).
 */
export interface JobTransition {
  readonly data: JobData
  readonly jobId: JobId | undefined
  readonly state: JobState | "removed"
  readonly heldBy: SessionId | undefined
  readonly error: string | undefined
}

export type JobObserver = (t: JobTransition) => void

export type { JobCounts }

interface Entry {
  data: JobData
  readonly triple: string
  /** Ticket of the entry's place in a per-triple queue (rank order, `domain/jobRank.ts`); 0 when in none. */
  ticket: number
  jobId: JobId | undefined
  state: JobState
  heldBy: SessionId | undefined
  error: string | undefined
}

/** A job sequence as a key of its instance's map: a number when exact (every real one), else the bigint. */
const seqKey = (jobSequence: bigint): number | bigint => (jobSequence <= MAX_EXACT ? Number(jobSequence) : jobSequence)
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER)

const rankOf = (e: Entry) => jobRankKey(e.data)

const sameRank = (a: JobData, b: JobData) => {
  const [ka, kb] = [jobRankKey(a), jobRankKey(b)]
  return ka.every((x, i) => x === kb[i])
}

const queueOf = (index: Map<string, RankedQueue<Entry>>, k: string) => {
  let q = index.get(k)
  if (q === undefined) {
    q = new RankedQueue(rankOf)
    index.set(k, q)
  }
  return q
}

const dequeue = (index: Map<string, RankedQueue<Entry>>, k: string, e: Entry) => {
  const q = index.get(k)
  if (q === undefined) return
  q.remove(e)
  if (q.size === 0) index.delete(k)
}

const EMPTY: ReadonlyArray<bigint> = Object.freeze([])

/**
 * Names repeat across thousands of jobs (a few triples, a few app instances) but arrive as fresh
 * strings with every event: share one copy of each, so 100,000 pending jobs stay small. Job data
 * is copied out of the decoded event's buffer into shared slabs (domain/byteSlab.ts).
 */
class Interner {
  private readonly strings = new Map<string, string>()
  private readonly bytes = new ByteSlab()
  string<S extends string>(s: S): S {
    const known = this.strings.get(s)
    if (known !== undefined) return known as S
    if (this.strings.size < 100_000) this.strings.set(s, s)
    return s
  }
  data(d: JobData): JobData {
    return {
      ...d,
      appInstance: this.string(d.appInstance),
      developer: this.string(d.developer),
      agent: this.string(d.agent),
      agentMethod: this.string(d.agentMethod),
      app: this.string(d.app),
      appInstanceMethod: this.string(d.appInstanceMethod),
      sequences: d.sequences.length === 0 ? EMPTY : d.sequences,
      sequences1: d.sequences1.length === 0 ? EMPTY : d.sequences1,
      sequences2: d.sequences2.length === 0 ? EMPTY : d.sequences2,
      data: this.bytes.copy(d.data)
    }
  }
}

const terminalOf: Record<ReportKind, JobState> = {
  complete: "completed",
  fail: "failed",
  terminate: "terminated"
}

const snapshot = (e: Entry): StoredJob => ({ ...e.data, jobId: e.jobId, state: e.state, heldBy: e.heldBy, error: e.error })

const addTo = <K, V>(index: Map<K, Set<V>>, k: K, v: V) => {
  let set = index.get(k)
  if (set === undefined) {
    set = new Set()
    index.set(k, set)
  }
  set.add(v)
}

const removeFrom = <K, V>(index: Map<K, Set<V>>, k: K, v: V) => {
  const set = index.get(k)
  if (set !== undefined) {
    set.delete(v)
    if (set.size === 0) index.delete(k)
  }
}

/** The synchronous core; exported for property tests and benchmarks, used through `JobStore`. */
export class JobTable {
  /**
   * Every job, by app instance then job sequence. The instance's map is also its set of jobs, and
   * a numeric key costs neither a string per job nor building one for each lookup.
   */
  private readonly jobs = new Map<AppInstanceId, Map<number | bigint, Entry>>()
  private total = 0
  private readonly byJobId = new Map<JobId, Entry>()
  private readonly pendingByTriple = new Map<string, RankedQueue<Entry>>()
  /** Pending jobs that are not due yet; moved to `pendingByTriple` once due. */
  private readonly delayed = new Set<Entry>()
  private readonly startedByTriple = new Map<string, RankedQueue<Entry>>()
  private readonly bySession = new Map<SessionId, Set<Entry>>()
  private readonly counts: Record<JobState, number> = {
    pending: 0,
    starting: 0,
    started: 0,
    held: 0,
    completed: 0,
    failed: 0,
    terminated: 0
  }
  private readonly newJobId: ReturnType<typeof makeJobIdGenerator>
  private readonly interner = new Interner()
  private observers: ReadonlyArray<JobObserver> = []

  constructor(
    private readonly ids: { readonly coordinatorId: string; readonly chain: string },
    /** Chain time in ms: the layers pass the Effect Clock's, tests may pass their own. */
    private readonly now: () => number
  ) {
    this.newJobId = makeJobIdGenerator()
  }

  private entry(appInstance: AppInstanceId, jobSequence: bigint): Entry | undefined {
    return this.jobs.get(appInstance)?.get(seqKey(jobSequence))
  }

  /** Calls `f` after every transition (synchronously: keep it cheap); returns the way to stop. */
  observe(f: JobObserver): () => void {
    this.observers = [...this.observers, f]
    return () => {
      this.observers = this.observers.filter((o) => o !== f)
    }
  }

  private notify(e: Entry, state: JobState | "removed") {
    if (this.observers.length === 0) return
    const t: JobTransition = { data: e.data, jobId: e.jobId, state, heldBy: e.heldBy, error: e.error }
    for (const o of this.observers) o(t)
  }

  private enterPending(e: Entry) {
    if (e.data.dueAt !== undefined && Number(e.data.dueAt) > this.now()) this.delayed.add(e)
    else queueOf(this.pendingByTriple, e.triple).push(e)
  }

  private leavePending(e: Entry) {
    if (!this.delayed.delete(e)) dequeue(this.pendingByTriple, e.triple, e)
  }

  /**
   * Newer data for a pending job. It is queued again only when its rank or due time changed: a
   * replayed event or a re-read of chain state would otherwise leave a stale slot in the queue for
   * every job it touched.
   */
  private refreshPending(e: Entry, raw: JobData) {
    const data = this.interner.data(raw)
    if (data.dueAt === e.data.dueAt && sameRank(data, e.data)) {
      e.data = data
      return
    }
    this.leavePending(e)
    e.data = data
    this.enterPending(e)
  }

  /** Moves delayed jobs that have become due into the pending queues. */
  private promoteDue() {
    if (this.delayed.size === 0) return
    const now = this.now()
    for (const e of this.delayed) {
      if (e.data.dueAt === undefined || Number(e.data.dueAt) <= now) {
        this.delayed.delete(e)
        queueOf(this.pendingByTriple, e.triple).push(e)
      }
    }
  }

  private setState(e: Entry, next: JobState) {
    const prev = e.state
    if (prev === "pending") this.leavePending(e)
    if (prev === "started") dequeue(this.startedByTriple, e.triple, e)
    if (prev === "held" && e.heldBy !== undefined) removeFrom(this.bySession, e.heldBy, e)
    this.counts[prev] -= 1
    e.state = next
    this.counts[next] += 1
    if (next === "pending") this.enterPending(e)
    if (next === "started") queueOf(this.startedByTriple, e.triple).push(e)
    if (next === "held" && e.heldBy !== undefined) addTo(this.bySession, e.heldBy, e)
    this.notify(e, next)
  }

  private insert(raw: JobData, state: JobState): Entry {
    const data = this.interner.data(raw)
    const e: Entry = {
      data,
      triple: this.interner.string(tripleKey(data)),
      ticket: 0,
      jobId: undefined,
      state: "pending",
      heldBy: undefined,
      error: undefined
    }
    let instance = this.jobs.get(data.appInstance)
    if (instance === undefined) {
      instance = new Map()
      this.jobs.set(data.appInstance, instance)
    }
    instance.set(seqKey(data.jobSequence), e)
    this.total += 1
    // Every job the store knows has an id from the start (operators see it in listings and logs);
    // each new attempt gets a fresh one, so a late report about the previous one cannot touch it.
    this.assignJobId(e)
    this.counts.pending += 1
    this.enterPending(e)
    this.notify(e, "pending")
    if (state !== "pending") this.setState(e, state)
    return e
  }

  private assignJobId(e: Entry): JobId {
    if (e.jobId !== undefined) this.byJobId.delete(e.jobId)
    const id = this.newJobId({ ...this.ids, ...e.data })
    e.jobId = id
    this.byJobId.set(id, e)
    return id
  }

  private drop(e: Entry) {
    if (e.state === "pending") this.leavePending(e)
    if (e.state === "started") dequeue(this.startedByTriple, e.triple, e)
    if (e.state === "held" && e.heldBy !== undefined) removeFrom(this.bySession, e.heldBy, e)
    this.counts[e.state] -= 1
    if (e.jobId !== undefined) this.byJobId.delete(e.jobId)
    const instance = this.jobs.get(e.data.appInstance)
    if (instance?.delete(seqKey(e.data.jobSequence)) === true) this.total -= 1
    if (instance?.size === 0) this.jobs.delete(e.data.appInstance)
    this.notify(e, "removed")
  }

  /** A job seen pending on chain. New jobs are added; a known pending job gets the newer data. */
  addPending(data: JobData): boolean {
    const e = this.entry(data.appInstance, data.jobSequence)
    if (e === undefined) {
      this.insert(data, "pending")
      return true
    }
    if (e.state === "pending") this.refreshPending(e, data)
    return false
  }

  /**
   * Chain says the job is Pending again (a failed attempt retried by the contract): whatever we
   * knew of a previous attempt is over, the job waits to be started anew.
   */
  resetToPending(data: JobData): void {
    const e = this.entry(data.appInstance, data.jobSequence)
    if (e === undefined) {
      this.insert(data, "pending")
      return
    }
    if (e.state === "starting" || e.state === "held" || e.state === "started") return
    if (e.state === "pending") {
      this.refreshPending(e, data)
      return
    }
    e.data = this.interner.data(data)
    this.assignJobId(e)
    e.heldBy = undefined
    e.error = undefined
    this.setState(e, "pending")
  }

  /** Moves up to `max` pending jobs of a triple, best-ranked first, to `starting` (the caller then starts them on chain). */
  claimForStart(triple: TripleRef, max: number): ReadonlyArray<StoredJob> {
    this.promoteDue()
    const queue = this.pendingByTriple.get(tripleKey(triple))
    if (queue === undefined || max <= 0) return []
    const out: Array<StoredJob> = []
    for (const e of queue.take(max)) {
      this.setState(e, "starting")
      out.push(snapshot(e))
    }
    return out
  }

  /** Our start transaction succeeded: the job gets an id and waits for its session. */
  markStarted(appInstance: AppInstanceId, jobSequence: bigint): Option.Option<JobId> {
    const e = this.entry(appInstance, jobSequence)
    if (e === undefined || (e.state !== "starting" && e.state !== "pending")) return Option.none()
    // The chain counted this start as an attempt; agents see the attempt they are running.
    e.data = { ...e.data, attempts: e.data.attempts + 1 }
    // The id given when the job arrived: no agent has seen it yet.
    const id = e.jobId ?? this.assignJobId(e)
    this.setState(e, "started")
    return Option.some(id)
  }

  /** Another coordinator won the start (or the job vanished): forget it. */
  startLost(appInstance: AppInstanceId, jobSequence: bigint): void {
    const e = this.entry(appInstance, jobSequence)
    if (e !== undefined && (e.state === "starting" || e.state === "pending")) this.drop(e)
  }

  /** Our start transaction did not execute: the job is pending again. */
  startFailed(appInstance: AppInstanceId, jobSequence: bigint): void {
    const e = this.entry(appInstance, jobSequence)
    if (e !== undefined && e.state === "starting") this.setState(e, "pending")
  }

  /** Inserts a job that is already started on chain by this coordinator (restart, tests). */
  addStarted(data: JobData): JobId {
    const existing = this.entry(data.appInstance, data.jobSequence)
    if (existing !== undefined) {
      if (existing.state === "started" || existing.state === "held") return existing.jobId!
      this.drop(existing)
    }
    const e = this.insert(data, "pending")
    this.setState(e, "started")
    return e.jobId!
  }

  /** Hands the triple's best-ranked started job to the session (settle → lowest block → fewest sequences → sequence). */
  takeNext(sessionId: SessionId, triple: TripleRef): Option.Option<StoredJob> {
    const e = this.startedByTriple.get(tripleKey(triple))?.first()
    if (e === undefined) return Option.none()
    e.heldBy = sessionId
    this.setState(e, "held")
    return Option.some(snapshot(e))
  }

  /** A session reports a job's end. Only the holder may; a repeated identical report is a duplicate. */
  report(sessionId: SessionId, jobId: JobId, kind: ReportKind, error?: string): ReportOutcome {
    const e = this.byJobId.get(jobId)
    // Unknown jobs and other sessions' jobs get the same answer: nothing leaks about other sessions.
    if (e === undefined || e.heldBy !== sessionId) {
      return { _tag: "NotHeld", message: notHeldMessage(jobId, sessionId) }
    }
    const report: JobReport = {
      kind,
      jobId,
      sessionId,
      appInstance: e.data.appInstance,
      jobSequence: e.data.jobSequence,
      ...(kind === "fail" ? { error: error ?? "" } : {})
    }
    if (e.state === "held") {
      e.error = kind === "fail" ? error : undefined
      this.setState(e, terminalOf[kind])
      return { _tag: "Accepted", report }
    }
    if (e.state === terminalOf[kind]) return { _tag: "Duplicate", report }
    return { _tag: "AlreadySettled", message: `job ${jobId} was already ${e.state}; it cannot now be ${terminalOf[kind]}` }
  }

  /** Undoes an accepted report whose durable write failed, so the agent can retry it. */
  revertReport(jobId: JobId): void {
    const e = this.byJobId.get(jobId)
    if (e === undefined || e.heldBy === undefined) return
    if (e.state === "completed" || e.state === "failed" || e.state === "terminated") {
      e.error = undefined
      this.setState(e, "held")
    }
  }

  /**
   * A session ended: every job it still held is marked failed with `reason` and returned, so the
   * caller can fail them on chain.
   */
  releaseSession(sessionId: SessionId, reason: string): ReadonlyArray<JobReport> {
    const set = this.bySession.get(sessionId)
    if (set === undefined) return []
    const out: Array<JobReport> = []
    for (const e of [...set]) {
      e.error = reason
      this.setState(e, "failed")
      out.push({
        kind: "fail",
        jobId: e.jobId!,
        sessionId,
        appInstance: e.data.appInstance,
        jobSequence: e.data.jobSequence,
        error: reason
      })
    }
    return out
  }

  /**
   * No agent of the triple can start: its started jobs (none of them taken) are marked failed with
   * `reason` and returned as reports of `sessionId` (the session that could not start), so the
   * caller can fail them on chain.
   */
  failStarted(triple: TripleRef, sessionId: SessionId, reason: string): ReadonlyArray<JobReport> {
    const queue = this.startedByTriple.get(tripleKey(triple))
    if (queue === undefined) return []
    const out: Array<JobReport> = []
    for (const e of queue.take(queue.size)) {
      e.error = reason
      this.setState(e, "failed")
      out.push({ kind: "fail", jobId: e.jobId!, sessionId, appInstance: e.data.appInstance, jobSequence: e.data.jobSequence, error: reason })
    }
    return out
  }

  /** The job's outcome is on chain (or the job was deleted there): forget it. */
  remove(appInstance: AppInstanceId, jobSequence: bigint): boolean {
    const e = this.entry(appInstance, jobSequence)
    if (e === undefined) return false
    this.drop(e)
    return true
  }

  get(jobId: JobId): Option.Option<StoredJob> {
    const e = this.byJobId.get(jobId)
    return e === undefined ? Option.none() : Option.some(snapshot(e))
  }

  /** The sequences of `seqs` this store holds no job of (in any state). */
  unknown(appInstance: AppInstanceId, seqs: ReadonlyArray<bigint>): ReadonlyArray<bigint> {
    const instance = this.jobs.get(appInstance)
    return instance === undefined ? seqs : seqs.filter((s) => !instance.has(seqKey(s)))
  }

  getBySequence(appInstance: AppInstanceId, jobSequence: bigint): Option.Option<StoredJob> {
    const e = this.entry(appInstance, jobSequence)
    return e === undefined ? Option.none() : Option.some(snapshot(e))
  }

  heldBy(sessionId: SessionId): ReadonlyArray<StoredJob> {
    return [...(this.bySession.get(sessionId) ?? [])].map(snapshot)
  }

  byInstance(appInstance: AppInstanceId): ReadonlyArray<StoredJob> {
    return [...(this.jobs.get(appInstance)?.values() ?? [])].map(snapshot)
  }

  list(state?: JobState, limit = Number.POSITIVE_INFINITY): ReadonlyArray<StoredJob> {
    const out: Array<StoredJob> = []
    for (const instance of this.jobs.values()) {
      for (const e of instance.values()) {
        if (out.length >= limit) return out
        if (state === undefined || e.state === state) out.push(snapshot(e))
      }
    }
    return out
  }

  /** Triples that have pending jobs that are due, with how many. */
  pendingTriples(): ReadonlyArray<{ readonly triple: TripleRef; readonly pending: number }> {
    this.promoteDue()
    const out: Array<{ triple: TripleRef; pending: number }> = []
    for (const queue of this.pendingByTriple.values()) {
      const first = queue.first()
      if (first === undefined) continue
      out.push({
        triple: { developer: first.data.developer, agent: first.data.agent, agentMethod: first.data.agentMethod },
        pending: queue.size
      })
    }
    return out
  }

  /** Triples that have started jobs waiting for a session. */
  startedTriples(): ReadonlyArray<TripleRef> {
    const out: Array<TripleRef> = []
    for (const queue of this.startedByTriple.values()) {
      const first = queue.first()
      if (first !== undefined) out.push({ developer: first.data.developer, agent: first.data.agent, agentMethod: first.data.agentMethod })
    }
    return out
  }

  /** Started jobs waiting for a session of the triple. */
  startedCount(triple: TripleRef): number {
    return this.startedByTriple.get(tripleKey(triple))?.size ?? 0
  }

  stats(): JobCounts {
    return { ...this.counts, total: this.total }
  }
}

/** The job database as an Effect service; every method is one atomic transition. */
export interface JobStoreService {
  readonly addPending: (data: JobData) => Effect.Effect<boolean>
  readonly resetToPending: (data: JobData) => Effect.Effect<void>
  readonly claimForStart: (triple: TripleRef, max: number) => Effect.Effect<ReadonlyArray<StoredJob>>
  readonly markStarted: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<Option.Option<JobId>>
  readonly startLost: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<void>
  readonly startFailed: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<void>
  readonly addStarted: (data: JobData) => Effect.Effect<JobId>
  readonly takeNext: (sessionId: SessionId, triple: TripleRef) => Effect.Effect<Option.Option<StoredJob>>
  readonly report: (sessionId: SessionId, jobId: JobId, kind: ReportKind, error?: string) => Effect.Effect<ReportOutcome>
  readonly revertReport: (jobId: JobId) => Effect.Effect<void>
  readonly releaseSession: (sessionId: SessionId, reason: string) => Effect.Effect<ReadonlyArray<JobReport>>
  readonly failStarted: (triple: TripleRef, sessionId: SessionId, reason: string) => Effect.Effect<ReadonlyArray<JobReport>>
  readonly remove: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<boolean>
  readonly get: (jobId: JobId) => Effect.Effect<Option.Option<StoredJob>>
  readonly getBySequence: (appInstance: AppInstanceId, jobSequence: bigint) => Effect.Effect<Option.Option<StoredJob>>
  /** The sequences of `seqs` the store holds no job of. */
  readonly unknown: (appInstance: AppInstanceId, seqs: ReadonlyArray<bigint>) => Effect.Effect<ReadonlyArray<bigint>>
  readonly heldBy: (sessionId: SessionId) => Effect.Effect<ReadonlyArray<StoredJob>>
  readonly byInstance: (appInstance: AppInstanceId) => Effect.Effect<ReadonlyArray<StoredJob>>
  readonly list: (state?: JobState, limit?: number) => Effect.Effect<ReadonlyArray<StoredJob>>
  readonly pendingTriples: Effect.Effect<ReadonlyArray<{ readonly triple: TripleRef; readonly pending: number }>>
  readonly startedCount: (triple: TripleRef) => Effect.Effect<number>
  readonly startedTriples: Effect.Effect<ReadonlyArray<TripleRef>>
  readonly stats: Effect.Effect<JobCounts>
  /** Calls `f` after every transition for the life of the scope (synchronously: keep it cheap). */
  readonly observe: (f: JobObserver) => Effect.Effect<void, never, Scope.Scope>
  /** The same transitions run synchronously: for the agent API's fast path (AgentApi/fastPath.ts). */
  readonly unsafe: Pick<JobTable, "takeNext" | "report" | "revertReport" | "get">
}

/** Wraps a table so every call is a single atomic step. */
export const makeJobStore = (table: JobTable): JobStoreService => ({
  addPending: (d) => Effect.sync(() => table.addPending(d)),
  resetToPending: (d) => Effect.sync(() => table.resetToPending(d)),
  claimForStart: (t, max) => Effect.sync(() => table.claimForStart(t, max)),
  markStarted: (a, s) => Effect.sync(() => table.markStarted(a, s)),
  startLost: (a, s) => Effect.sync(() => table.startLost(a, s)),
  startFailed: (a, s) => Effect.sync(() => table.startFailed(a, s)),
  addStarted: (d) => Effect.sync(() => table.addStarted(d)),
  takeNext: (s, t) => Effect.sync(() => table.takeNext(s, t)),
  report: (s, j, k, e) => Effect.sync(() => table.report(s, j, k, e)),
  revertReport: (j) => Effect.sync(() => table.revertReport(j)),
  releaseSession: (s, r) => Effect.sync(() => table.releaseSession(s, r)),
  failStarted: (t, s, r) => Effect.sync(() => table.failStarted(t, s, r)),
  remove: (a, s) => Effect.sync(() => table.remove(a, s)),
  get: (j) => Effect.sync(() => table.get(j)),
  getBySequence: (a, s) => Effect.sync(() => table.getBySequence(a, s)),
  unknown: (a, s) => Effect.sync(() => table.unknown(a, s)),
  heldBy: (s) => Effect.sync(() => table.heldBy(s)),
  byInstance: (a) => Effect.sync(() => table.byInstance(a)),
  list: (state, limit) => Effect.sync(() => table.list(state, limit)),
  pendingTriples: Effect.sync(() => table.pendingTriples()),
  startedCount: (t) => Effect.sync(() => table.startedCount(t)),
  startedTriples: Effect.sync(() => table.startedTriples()),
  stats: Effect.sync(() => table.stats()),
  observe: (f) => Effect.acquireRelease(Effect.sync(() => table.observe(f)), (stop) => Effect.sync(stop)).pipe(Effect.asVoid),
  unsafe: table
})

/** The current Effect Clock as a plain function, for the synchronous table. */
const clockNow = Effect.map(Effect.clock, (clock) => () => clock.unsafeCurrentTimeMillis())

export class JobStore extends Context.Tag("silvana/JobStore")<JobStore, JobStoreService>() {
  /** A fresh store; job ids are salted with the coordinator address and chain from Config. */
  static readonly layer = JobStore.layerWithClock()

  /**
   * Like `layer`, with the clock due times are compared against (chain time; on a real network the
   * wall clock is chain time, a test localnet may move its clock ahead). Default: the Effect Clock.
   */
  static layerWithClock(now?: () => number) {
    return Layer.effect(
      JobStore,
      Effect.gen(function* () {
        const c = yield* Config
        const clock = now ?? (yield* clockNow)
        return makeJobStore(new JobTable({ coordinatorId: Option.getOrElse(c.suiAddress, () => "embedded"), chain: c.suiChain }, clock))
      })
    )
  }

  /** A store with no config, for tests and embedding; time from the Effect Clock unless given. */
  static readonly layerMemory = (
    ids: { coordinatorId: string; chain: string } = { coordinatorId: "test", chain: "test" },
    now?: () => number
  ) => Layer.effect(JobStore, Effect.map(clockNow, (clock) => makeJobStore(new JobTable(ids, now ?? clock))))
}
