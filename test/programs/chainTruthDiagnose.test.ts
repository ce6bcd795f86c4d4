/** `diagnose`: which repair a job needs, from its latest settled op, the node's answer and the store. */
import { Option } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { AppInstanceId } from "../../src/domain/ids.js"
import type { ChainJob, JobStatus } from "../../src/layers/ChainState.js"
import type { OutboxOp } from "../../src/domain/outbox.js"
import { diagnose, judgePresence, type JobView, type Presence, PRUNE_SLACK_MS, repairKind } from "../../src/programs/chainTruth.js"

const op = (id: number, kind: OutboxOp["kind"], state: OutboxOp["state"], tx: string): OutboxOp => ({
  id, kind, appInstance: AppInstanceId.make("ab".repeat(32)), jobSequence: 7n, error: kind === "fail" ? "boom" : null, session: null,
  state, txDigest: tx, attempts: 1, outcome: null, createdAt: 0, payload: null
})
const job = (status: JobStatus): ChainJob => ({
  _tag: "Job",
  id: "0x1", jobSequence: 7n, description: Option.none(), developer: "d", agent: "a", agentMethod: "m", app: "app",
  appInstance: AppInstanceId.make("ab".repeat(32)), appInstanceMethod: "m", blockNumber: Option.none(), sequences: Option.none(),
  sequences1: Option.none(), sequences2: Option.none(), data: new Uint8Array(), status, attempts: 1,
  intervalMs: Option.none(), nextScheduledAt: Option.none(), createdAt: 0n, updatedAt: 0n
})
const view = (v: Partial<JobView> & { readonly last: OutboxOp; readonly known?: Record<string, Presence> }): JobView => ({
  lastStart: undefined,
  chain: undefined,
  store: undefined,
  startedHere: false,
  presence: (d) => (d === null ? "unknown" : (v.known?.[d] ?? "present")),
  ...v
})
const running = job({ _tag: "Running" })
const pending = job({ _tag: "Pending" })
const start = op(1, "start", "done", "S")

describe("diagnose", () => {
  it("a completion the node lost while the job is Running for us is submitted again", () => {
    const r = diagnose(view({ last: op(2, "complete", "done", "C"), lastStart: start, chain: running, store: "completed", known: { C: "missing" } }))
    expect(r?._tag).toBe("Resubmit")
    expect(repairKind(r!)).toBe("resubmit_complete")
    const f = diagnose(view({ last: op(2, "fail", "done", "F"), lastStart: start, chain: running, known: { F: "missing" } }))
    expect(repairKind(f!)).toBe("resubmit_fail")
  })
  it("a lost completion whose start was lost too, Running for someone else, is left alone", () => {
    expect(diagnose(view({ last: op(2, "complete", "done", "C"), lastStart: start, chain: running, known: { C: "missing", S: "missing" } }))).toBeUndefined()
  })
  it("a settled job the chain has Pending again is dispatched again, once", () => {
    const last = op(2, "complete", "done", "C")
    expect(diagnose(view({ last, chain: pending, store: "completed", known: { C: "missing" } }))?._tag).toBe("Redispatch")
    expect(diagnose(view({ last, chain: pending, store: undefined, known: { C: "missing" } }))?._tag).toBe("Redispatch")
    // already pending again in the store (the repair happened, or discovery saw it): nothing to do
    expect(diagnose(view({ last, chain: pending, store: "pending", known: { C: "missing" } }))).toBeUndefined()
  })
  it("a rejected completion of a job Pending on chain is dispatched again", () => {
    expect(diagnose(view({ last: op(2, "complete", "rejected", "C"), chain: pending, store: "completed" }))?._tag).toBe("Redispatch")
  })
  it("a rejected completion of a job Running for someone else is left alone; Running in our open run is submitted again", () => {
    expect(diagnose(view({ last: op(2, "complete", "rejected", "C"), chain: running, store: "completed" }))).toBeUndefined()
    expect(diagnose(view({ last: op(2, "complete", "rejected", "C"), lastStart: start, chain: running }))?._tag).toBe("Resubmit")
  })
  it("a lost start: started again while an agent may hold the job, else dispatched again, or forgotten if another has it", () => {
    const known = { S: "missing" as const }
    expect(diagnose(view({ last: start, chain: pending, store: "held", known }))?._tag).toBe("ResubmitStart")
    expect(diagnose(view({ last: start, chain: pending, store: undefined, known }))?._tag).toBe("Redispatch")
    expect(diagnose(view({ last: start, chain: running, startedHere: true, known }))?._tag).toBe("LostStart")
    expect(diagnose(view({ last: start, chain: running, startedHere: false, store: "held", known }))).toBeUndefined()
  })
  it("what the node has, or cannot say, is never repaired", () => {
    expect(diagnose(view({ last: op(2, "complete", "done", "C"), chain: running }))).toBeUndefined()
    expect(diagnose(view({ last: op(2, "complete", "done", "C"), chain: running, known: { C: "unknown" } }))).toBeUndefined()
    expect(diagnose(view({ last: op(2, "complete", "done", "C"), chain: undefined, known: { C: "missing" } }))).toBeUndefined()
    expect(diagnose(view({ last: op(2, "complete", "done", "C"), chain: job({ _tag: "Failed", error: "x" }), known: { C: "missing" } }))).toBeUndefined()
  })
})

describe("judgePresence: a NOT_FOUND against the retention the node has after answering", () => {
  const retained = 1_000_000
  it("proves a transaction missing only when it is younger than the oldest retained checkpoint plus the slack", () => {
    expect(judgePresence("missing", retained + PRUNE_SLACK_MS, retained)).toBe("missing")
    expect(judgePresence("missing", retained + PRUNE_SLACK_MS + 5_000, retained)).toBe("missing")
  })
  it("treats an older transaction, which the node may have pruned, as unknown; and any NOT_FOUND with the retention unknown", () => {
    // the pruned start of a pass that read the retention before the prune and asked after it
    expect(judgePresence("missing", retained - 30_000, retained)).toBe("unknown")
    expect(judgePresence("missing", retained + PRUNE_SLACK_MS - 1, retained)).toBe("unknown")
    expect(judgePresence("missing", retained + 10 * PRUNE_SLACK_MS, undefined)).toBe("unknown")
  })
  it("leaves present and unknown answers as they are", () => {
    expect(judgePresence("present", 0, retained)).toBe("present")
    expect(judgePresence("unknown", retained + PRUNE_SLACK_MS, retained)).toBe("unknown")
  })
})

