/**
 * Job timelines for the status page: for each recent job, what happened to it and when — created
 * on chain, start transaction, handed out to a session, reported, settled on chain — kept for the
 * newest `capacity` jobs (older ones are dropped whole). Fed synchronously by observers.
 */
import type { AppInstanceId } from "../../domain/ids.js"
import type { JobState } from "../../domain/job.js"
import type { OpKind } from "../../domain/outbox.js"
import type { Types } from "effect"
import type { JobRecordView, Step, StepKind } from "../../domain/statusView.js"
import { shortId } from "./redact.js"

export type { Step, StepKind }

/** The record the timelines keep and update in place. */
export type JobRecord = Types.Mutable<Omit<JobRecordView, "state" | "steps">> & {
  state: JobState | "settled" | "removed"
  readonly steps: Array<Step>
}

export interface JobFacts {
  readonly appInstance: AppInstanceId
  readonly jobSequence: bigint
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly createdAt: bigint
  readonly attempts: number
}

export interface SearchQuery {
  /** App instance (prefix, with or without 0x), sequence (exact), job id, or triple text (substring). */
  readonly q?: string | undefined
  readonly state?: string | undefined
  readonly limit?: number | undefined
}

const MAX_STEPS = 40
const key = (appInstance: AppInstanceId, seq: bigint) => `${appInstance}:${seq}`

/** The settled ops that end a job (its own complete / fail / terminate), as against the Move calls it makes. */
const JOB_ENDINGS: ReadonlySet<OpKind> = new Set<OpKind>(["complete", "fail", "terminate"])

const step = (at: number, kind: StepKind, s: Partial<Omit<Step, "at" | "kind">> = {}): Step => ({
  at,
  kind,
  digest: s.digest ?? null,
  session: s.session ?? null,
  error: s.error ?? null,
  attempt: s.attempt ?? null,
  result: s.result ?? null
})

export class Timelines {
  private readonly jobs = new Map<string, JobRecord>()
  constructor(readonly capacity = 5000) {}

  private recordOf(f: JobFacts, now: number): JobRecord {
    const k = key(f.appInstance, f.jobSequence)
    let r = this.jobs.get(k)
    if (r === undefined) {
      r = {
        appInstance: `0x${f.appInstance}`,
        sequence: f.jobSequence.toString(),
        developer: f.developer,
        agent: f.agent,
        agentMethod: f.agentMethod,
        jobId: null,
        state: "pending",
        attempts: f.attempts,
        createdAt: Number(f.createdAt),
        updatedAt: now,
        steps: [step(Number(f.createdAt), "created")]
      }
      this.jobs.set(k, r)
      if (this.jobs.size > this.capacity) this.jobs.delete(this.jobs.keys().next().value!)
    }
    return r
  }

  private push(r: JobRecord, s: Step) {
    if (r.steps.length >= MAX_STEPS) r.steps.splice(1, 1)
    r.steps.push(s)
    r.updatedAt = s.at
  }

  /** A store transition. */
  transition(
    f: JobFacts,
    to: JobState | "removed",
    extra: { readonly jobId: string | undefined; readonly heldBy: string | undefined; readonly error: string | undefined },
    now: number
  ) {
    const r = this.recordOf(f, now)
    const prev = r.state
    r.attempts = f.attempts
    if (extra.jobId !== undefined) r.jobId = extra.jobId
    if (to === "removed") {
      // Removal follows the settlement on chain (or the job vanished there).
      if (r.state !== "settled") r.state = "removed"
      this.push(r, step(now, "removed"))
      return
    }
    r.state = to
    switch (to) {
      case "pending":
        if (prev !== "pending") this.push(r, step(now, "pending_again", { attempt: f.attempts }))
        return
      case "started":
        return this.push(r, step(now, "started", { attempt: f.attempts }))
      case "held":
        return this.push(r, step(now, "handed_out", { session: extra.heldBy === undefined ? null : shortId(extra.heldBy), attempt: f.attempts }))
      case "completed":
      case "failed":
      case "terminated":
        return this.push(
          r,
          step(now, to, {
            error: extra.error ?? null,
            attempt: f.attempts,
            session: extra.heldBy === undefined ? null : shortId(extra.heldBy)
          })
        )
      case "starting":
        return
    }
  }

  /** A settlement outcome (start, complete, fail, terminate) with its transaction digest. */
  settled(
    o: { readonly kind: OpKind; readonly appInstance: AppInstanceId; readonly jobSequence: bigint; readonly result: string; readonly txDigest: string | null; readonly detail: string | null },
    now: number
  ) {
    const r = this.jobs.get(key(o.appInstance, o.jobSequence))
    if (r === undefined) return
    if (o.kind === "start") {
      this.push(r, step(now, "start_tx", { digest: o.txDigest, result: o.result, error: o.detail }))
      return
    }
    // Only the job's own ending settles it; a Move call it made (submit_proof, …) is a step of its story.
    if (o.result === "done" && JOB_ENDINGS.has(o.kind)) r.state = "settled"
    const settled = step(now, "settled", { digest: o.txDigest, result: `${o.kind}: ${o.result}`, error: o.detail, attempt: r.attempts })
    // The chain event that removes the job from the store can be seen before this outcome arrives:
    // the settlement comes first in the job's story.
    const last = r.steps[r.steps.length - 1]
    if (last?.kind === "removed") {
      r.steps.splice(r.steps.length - 1, 0, settled)
      r.updatedAt = now
    } else this.push(r, settled)
  }

  get(appInstance: AppInstanceId, sequence: bigint): JobRecord | undefined {
    return this.jobs.get(key(appInstance, sequence))
  }

  /** Newest first. */
  search(query: SearchQuery): ReadonlyArray<JobRecord> {
    const limit = Math.max(1, Math.min(query.limit ?? 50, 500))
    const q = (query.q ?? "").trim().toLowerCase()
    const hex = q.replace(/^0x/, "")
    const matches = (r: JobRecord) => {
      if (query.state !== undefined && query.state !== "" && r.state !== query.state) return false
      if (q === "") return true
      if (/^[0-9]+$/.test(q) && r.sequence === q) return true
      if (/^[0-9a-f]+$/.test(hex) && hex.length >= 4 && r.appInstance.slice(2).startsWith(hex)) return true
      if (r.jobId !== null && r.jobId.toLowerCase() === q) return true
      return `${r.developer}/${r.agent}/${r.agentMethod}`.toLowerCase().includes(q)
    }
    const out: Array<JobRecord> = []
    const all = [...this.jobs.values()]
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) if (matches(all[i]!)) out.push(all[i]!)
    return out
  }
}
