import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import fc from "fast-check"
import type { AppInstanceId, SessionId } from "../../src/domain/ids.js"
import type { JobData } from "../../src/domain/job.js"
import { compareJobRank } from "../../src/domain/jobRank.js"
import { JobStore, JobTable } from "../../src/layers/JobStore.js"

const AI = "cd".repeat(32) as AppInstanceId
const triples = [
  { developer: "d", agent: "a", agentMethod: "m0" },
  { developer: "d", agent: "a", agentMethod: "m1" },
  { developer: "d", agent: "b", agentMethod: "m0" }
]
const sessions = Array.from({ length: 4 }, (_, i) => `0x${i.toString(16).padStart(64, "0")}` as SessionId)

const job = (seq: number, t = triples[seq % triples.length]!): JobData => ({
  appInstance: AI,
  jobSequence: BigInt(seq),
  ...t,
  app: "app",
  appInstanceMethod: t.agentMethod,
  sequences: [],
  sequences1: [],
  sequences2: [],
  data: new Uint8Array([seq & 255]),
  attempts: 0,
  createdAt: 0n,
  updatedAt: 0n
})

type Op =
  | { op: "addPending"; seq: number }
  | { op: "claim"; triple: number; max: number }
  | { op: "started"; seq: number }
  | { op: "lost"; seq: number }
  | { op: "take"; session: number; triple: number }
  | { op: "report"; session: number; pick: number; kind: "complete" | "fail" | "terminate" }
  | { op: "release"; session: number }
  | { op: "remove"; seq: number }
  | { op: "reset"; seq: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("addPending" as const), seq: fc.nat(30) }),
  fc.record({ op: fc.constant("claim" as const), triple: fc.nat(2), max: fc.nat(5) }),
  fc.record({ op: fc.constant("started" as const), seq: fc.nat(30) }),
  fc.record({ op: fc.constant("lost" as const), seq: fc.nat(30) }),
  fc.record({ op: fc.constant("take" as const), session: fc.nat(3), triple: fc.nat(2) }),
  fc.record({ op: fc.constant("report" as const), session: fc.nat(3), pick: fc.nat(50), kind: fc.constantFrom("complete" as const, "fail" as const, "terminate" as const) }),
  fc.record({ op: fc.constant("release" as const), session: fc.nat(3) }),
  fc.record({ op: fc.constant("remove" as const), seq: fc.nat(30) }),
  fc.record({ op: fc.constant("reset" as const), seq: fc.nat(30) })
)

describe("JobStore", () => {
  it("invariants hold under any sequence of transitions", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const t = new JobTable({ coordinatorId: "c", chain: "x" }, Date.now)
        const handedTo = new Map<string, SessionId>() // jobId → session that got it
        const tripleOfSession = (i: number) => triples[i % triples.length]!
        for (const o of ops) {
          switch (o.op) {
            case "addPending":
              t.addPending(job(o.seq))
              break
            case "claim":
              for (const j of t.claimForStart(triples[o.triple]!, o.max)) expect(j.state).toBe("starting")
              break
            case "started":
              t.markStarted(AI, BigInt(o.seq))
              break
            case "lost":
              t.startLost(AI, BigInt(o.seq))
              break
            case "take": {
              const got = t.takeNext(sessions[o.session]!, triples[o.triple]!)
              if (Option.isSome(got)) {
                // a job is handed out once per attempt (job id), never to a second session
                expect(handedTo.has(got.value.jobId!)).toBe(false)
                handedTo.set(got.value.jobId!, sessions[o.session]!)
                expect(got.value.agentMethod).toBe(triples[o.triple]!.agentMethod)
              }
              break
            }
            case "report": {
              const ids = [...handedTo.keys()]
              if (ids.length === 0) break
              const id = ids[o.pick % ids.length]! as never
              const res = t.report(sessions[o.session]!, id, o.kind)
              if (res._tag === "Accepted" || res._tag === "Duplicate") expect(handedTo.get(id)).toBe(sessions[o.session])
              break
            }
            case "release":
              for (const r of t.releaseSession(sessions[o.session]!, "gone")) expect(handedTo.get(r.jobId)).toBe(sessions[o.session])
              break
            case "remove":
              t.remove(AI, BigInt(o.seq))
              break
            case "reset":
              t.resetToPending(job(o.seq))
              break
          }
          // counts agree with the records; held jobs always have a holder; indexes agree
          const all = t.list()
          const stats = t.stats()
          expect(stats.total).toBe(all.length)
          for (const s of ["pending", "starting", "started", "held", "completed", "failed", "terminated"] as const) {
            expect(stats[s]).toBe(all.filter((j) => j.state === s).length)
          }
          for (const j of all) {
            if (j.state === "held") expect(j.heldBy).toBeDefined()
            expect(j.jobId).toMatch(/^sn/)
            expect(Option.getOrThrow(t.get(j.jobId!)).jobSequence).toBe(j.jobSequence)
          }
          const heldSum = sessions.reduce((n, s) => n + t.heldBy(s).length, 0)
          expect(heldSum).toBe(stats.held)
          for (const tr of triples) {
            expect(t.startedCount(tr)).toBe(all.filter((j) => j.state === "started" && j.agentMethod === tr.agentMethod && j.agent === tr.agent).length)
          }
          void tripleOfSession
        }
      }),
      { numRuns: 300 }
    )
  })

  it.effect("every job has an id from its arrival; it keeps it when started; a new attempt gets a fresh one", () =>
    Effect.gen(function* () {
      const store = yield* JobStore
      yield* store.addPending(job(7))
      const [pending] = yield* store.list("pending")
      expect(pending!.jobId).toMatch(/^sn/)
      yield* store.claimForStart(triples[1]!, 10)
      const started = Option.getOrThrow(yield* store.markStarted(job(7).appInstance, 7n))
      expect(started).toBe(pending!.jobId)
      const held = Option.getOrThrow(yield* store.takeNext(sessions[0]!, triples[1]!))
      expect(held.jobId).toBe(started)
      expect((yield* store.report(sessions[0]!, started, "fail", "boom"))._tag).toBe("Accepted")
      yield* store.resetToPending(job(7))
      const [retried] = yield* store.list("pending")
      expect(retried!.jobId).toMatch(/^sn/)
      expect(retried!.jobId).not.toBe(started)
      expect(Option.isNone(yield* store.get(started))).toBe(true)
    }).pipe(Effect.provide(JobStore.layerMemory()))
  )

  it.effect("a report moves a held job once; the same report again is a duplicate; another kind is refused", () =>
    Effect.gen(function* () {
      const store = yield* JobStore
      const id = yield* store.addStarted(job(1))
      const got = yield* store.takeNext(sessions[0]!, triples[1]!)
      expect(Option.getOrThrow(got).jobId).toBe(id)
      expect((yield* store.report(sessions[0]!, id, "complete"))._tag).toBe("Accepted")
      expect((yield* store.report(sessions[0]!, id, "complete"))._tag).toBe("Duplicate")
      expect((yield* store.report(sessions[0]!, id, "fail", "x"))._tag).toBe("AlreadySettled")
      expect((yield* store.report(sessions[1]!, id, "complete"))._tag).toBe("NotHeld")
      yield* store.revertReport(id)
      expect(Option.getOrThrow(yield* store.get(id)).state).toBe("held")
    }).pipe(Effect.provide(JobStore.layerMemory()))
  )

  it.effect("a retried job gets a new id, so a late report about the old attempt cannot touch it", () =>
    Effect.gen(function* () {
      const store = yield* JobStore
      yield* store.addPending(job(5))
      const claimed = yield* store.claimForStart(triples[2]!, 10)
      expect(claimed.map((j) => j.jobSequence)).toEqual([5n])
      const first = Option.getOrThrow(yield* store.markStarted(AI, 5n))
      yield* store.takeNext(sessions[0]!, triples[2]!)
      yield* store.report(sessions[0]!, first, "fail", "boom")
      yield* store.resetToPending(job(5))
      yield* store.claimForStart(triples[2]!, 10)
      const second = Option.getOrThrow(yield* store.markStarted(AI, 5n))
      expect(second).not.toBe(first)
      expect((yield* store.report(sessions[0]!, first, "complete"))._tag).toBe("NotHeld")
      expect(Option.isNone(yield* store.get(first))).toBe(true)
    }).pipe(Effect.provide(JobStore.layerMemory()))
  )

  it.effect("startLost forgets the job; startFailed makes it pending again; pendingTriples reports counts", () =>
    Effect.gen(function* () {
      const store = yield* JobStore
      for (const s of [3, 6, 9]) yield* store.addPending(job(s, triples[0]!))
      expect(yield* store.pendingTriples).toEqual([{ triple: triples[0], pending: 3 }])
      yield* store.claimForStart(triples[0]!, 2)
      yield* store.startLost(AI, 3n)
      yield* store.startFailed(AI, 6n)
      expect(Option.isNone(yield* store.getBySequence(AI, 3n))).toBe(true)
      expect(Option.getOrThrow(yield* store.getBySequence(AI, 6n)).state).toBe("pending")
      expect((yield* store.stats).pending).toBe(2)
    }).pipe(Effect.provide(JobStore.layerMemory()))
  )
})

describe("JobStore: pending jobs seen again", () => {
  it("a pending job refreshed with newer data is offered once, ranked by its latest data", () => {
    const update = fc.record({
      seq: fc.nat(20),
      block: fc.option(fc.nat(3), { nil: undefined }),
      sequences: fc.nat(2),
      attempts: fc.nat(3)
    })
    fc.assert(
      fc.property(fc.array(update, { maxLength: 80 }), (updates) => {
        const t = new JobTable({ coordinatorId: "c", chain: "x" }, () => 0)
        const latest = new Map<number, JobData>()
        for (const u of updates) {
          const data: JobData = {
            ...job(u.seq, triples[0]!),
            ...(u.block === undefined ? {} : { blockNumber: BigInt(u.block) }),
            sequences: Array.from({ length: u.sequences }, (_, i) => BigInt(i)),
            attempts: u.attempts
          }
          t.addPending(data)
          latest.set(u.seq, data)
        }
        const claimed = t.claimForStart(triples[0]!, 1_000)
        const expected = [...latest.values()].sort(compareJobRank)
        expect(claimed.map((j) => [j.jobSequence, j.blockNumber, j.sequences.length, j.attempts])).toEqual(
          expected.map((j) => [j.jobSequence, j.blockNumber, j.sequences.length, j.attempts])
        )
        expect(t.claimForStart(triples[0]!, 1_000)).toEqual([])
      })
    )
  })
})

describe("JobStore due times", () => {
  it("a job that is not due yet is not offered for start until its time", () => {
    let now = 1_000
    const t = new JobTable({ coordinatorId: "c", chain: "x" }, () => now)
    t.addPending({ ...job(7, triples[0]!), dueAt: 61_000n })
    t.addPending(job(8, triples[0]!))
    expect(t.pendingTriples()).toEqual([{ triple: triples[0], pending: 1 }])
    expect(t.claimForStart(triples[0]!, 10).map((j) => j.jobSequence)).toEqual([8n])
    expect(t.stats().pending).toBe(1)
    now = 61_000
    expect(t.claimForStart(triples[0]!, 10).map((j) => j.jobSequence)).toEqual([7n])
  })

  it("resetToPending with a due time delays a retried job", () => {
    let now = 0
    const t = new JobTable({ coordinatorId: "c", chain: "x" }, () => now)
    const id = t.addStarted(job(9, triples[1]!))
    t.takeNext(sessions[0]!, triples[1]!)
    t.report(sessions[0]!, id, "fail", "x")
    t.resetToPending({ ...job(9, triples[1]!), attempts: 1, dueAt: 60_000n })
    expect(t.pendingTriples()).toEqual([])
    expect(t.stats().pending).toBe(1)
    now = 60_000
    expect(t.pendingTriples()).toEqual([{ triple: triples[1], pending: 1 }])
  })
})

describe("JobStore: a triple whose agent cannot start", () => {
  it("failStarted fails only that triple's started jobs, as reports with the reason; held jobs stay with their session", () => {
    const t = new JobTable({ coordinatorId: "c", chain: "x" }, Date.now)
    const ids = [0, 3, 6, 9].map((seq) => t.addStarted(job(seq, triples[0]!)))
    const other = t.addStarted(job(1, triples[1]!))
    const held = t.takeNext(sessions[0]!, triples[0]!)
    expect(Option.map(held, (j) => j.jobId)).toEqual(Option.some(ids[0]))
    const reports = t.failStarted(triples[0]!, sessions[1]!, "agent could not start (5 attempts): boom")
    expect(reports.map((r) => r.jobSequence)).toEqual([3n, 6n, 9n])
    for (const r of reports) {
      expect(r).toMatchObject({ kind: "fail", sessionId: sessions[1], error: "agent could not start (5 attempts): boom" })
    }
    expect(t.startedCount(triples[0]!)).toBe(0)
    expect(t.startedCount(triples[1]!)).toBe(1)
    expect(Option.map(t.get(ids[0]!), (j) => j.state)).toEqual(Option.some("held"))
    expect(Option.map(t.get(other), (j) => j.state)).toEqual(Option.some("started"))
    expect(t.stats()).toMatchObject({ failed: 3, held: 1, started: 1 })
    // a second call finds nothing left to fail
    expect(t.failStarted(triples[0]!, sessions[1]!, "again")).toEqual([])
  })
})
