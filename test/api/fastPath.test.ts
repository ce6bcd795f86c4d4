/**
 * The agent API's synchronous fast path (AgentApi/fastPath.ts) answers GetJob, CompleteJob and
 * FailJob exactly as the Effect handlers do: the same script of calls is played against two fresh
 * stores, one through each path, and every reply, every gRPC error and every recorded report must
 * be the same (session and job ids, random per store, are compared by their place in the script).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Logger, Ref } from "effect"
import type { SessionId } from "../../src/domain/ids.js"
import { type ApiServices } from "../../src/layers/AgentApi/admission.js"
import type { Transport } from "../../src/layers/AgentApi/binding.js"
import type { ApiError } from "../../src/layers/AgentApi/errors.js"
import { type FastPath, makeFastPath, type Now } from "../../src/layers/AgentApi/fastPath.js"
import * as H from "../../src/layers/AgentApi/handlers.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { MemoryReports, Reports } from "../../src/layers/Reports.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { makeJob, tripleA, tripleB } from "./fixture.js"

const env = Layer.mergeAll(Sessions.layer, Reports.layerMemory).pipe(Layer.provideMerge(JobStore.layerMemory()))

/** One call of the script: the session by its index, the job by the index of its GetJob reply. */
type Step =
  | { readonly rpc: "getJob"; readonly session: number; readonly triple?: typeof tripleA }
  | { readonly rpc: "complete" | "fail"; readonly session: number; readonly job: number | string; readonly error?: string }

/** Plays `steps` through one path; every outcome as text with ids replaced by their place. */
const play = (steps: ReadonlyArray<Step>, fast: boolean) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const sessions = yield* Sessions
    const reports = yield* Reports
    const path: FastPath = makeFastPath({ store, sessions, reports, now: () => 1_700_000_000_500, chain: "testnet", withApp: false, logsInfo: true })
    const ids: Array<SessionId> = []
    for (const triple of [tripleA, tripleA, tripleB]) ids.push((yield* sessions.create(triple)).id)
    for (let seq = 1; seq <= 3; seq++) yield* store.addStarted(makeJob(seq, tripleA))
    const jobs: Array<string> = []
    const before = (yield* Ref.get(yield* MemoryReports)).length
    const run = <A>(now: () => Now<A>, slow: Effect.Effect<A, ApiError, ApiServices>) =>
      Effect.either(
        fast
          ? Effect.suspend(() => {
              const answer = now()
              return Effect.isEffect(answer) ? answer : Effect.succeed(answer)
            })
          : slow
      )
    const outcomes: Array<string> = []
    for (const step of steps) {
      const sessionId = step.session === -1 ? "0xnot-a-session" : step.session === -2 ? `0x${"0".repeat(64)}` : ids[step.session]!
      let outcome: Either.Either<{ readonly success: boolean; readonly message: string; readonly job?: { readonly jobId: string } | undefined }, ApiError>
      if (step.rpc === "getJob") {
        const t = step.triple ?? tripleA
        const req = { sessionId, developer: t.developer, agent: t.agent, agentMethod: t.agentMethod }
        outcome = yield* run(() => path.getJob(req), H.getJob(req, "testnet"))
        if (Either.isRight(outcome) && outcome.right.job !== undefined) jobs.push(outcome.right.job.jobId)
      } else {
        const jobId = typeof step.job === "number" ? jobs[step.job]! : step.job
        outcome =
          step.rpc === "complete"
            ? yield* run(() => path.completeJob({ sessionId, jobId }), H.completeJob({ sessionId, jobId }))
            : yield* run(() => path.failJob({ sessionId, jobId, errorMessage: step.error ?? "" }), H.failJob({ sessionId, jobId, errorMessage: step.error ?? "" }))
      }
      outcomes.push(normalise(JSON.stringify(Either.isRight(outcome) ? outcome.right : outcome.left, bigints), ids, jobs))
    }
    const recorded = (yield* Ref.get(yield* MemoryReports)).slice(before)
    outcomes.push(normalise(JSON.stringify(recorded, bigints), ids, jobs))
    return outcomes
  }).pipe(Effect.provide(env))

const bigints = (_: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)
const normalise = (text: string, sessions: ReadonlyArray<string>, jobs: ReadonlyArray<string>) => {
  let out = text
  sessions.forEach((id, i) => (out = out.split(id).join(`<session ${i}>`).split(id.slice(0, 10)).join(`<session ${i}>`)))
  jobs.forEach((id, i) => (out = out.split(id).join(`<job ${i}>`)))
  return out
}

const script: ReadonlyArray<Step> = [
  { rpc: "getJob", session: 0 },
  { rpc: "getJob", session: 1 },
  { rpc: "getJob", session: 2, triple: tripleB },
  { rpc: "getJob", session: 2, triple: tripleA },
  { rpc: "getJob", session: -1 },
  { rpc: "getJob", session: -2 },
  { rpc: "complete", session: -2, job: "snabc" },
  { rpc: "complete", session: 1, job: 0 },
  { rpc: "complete", session: 0, job: 0 },
  { rpc: "complete", session: 0, job: 0 },
  { rpc: "fail", session: 0, job: 0, error: "late" },
  { rpc: "fail", session: 1, job: 1, error: "x".repeat(20_000) },
  { rpc: "fail", session: 1, job: 1, error: "boom" },
  { rpc: "complete", session: 1, job: "" },
  { rpc: "complete", session: 1, job: "not-one-of-ours" },
  { rpc: "getJob", session: 0 },
  { rpc: "getJob", session: 0 },
  { rpc: "complete", session: 0, job: 2 }
]

describe("agent API fast path", () => {
  it.effect("answers the job loop exactly as the Effect handlers", () =>
    Effect.gen(function* () {
      const slow = yield* play(script, false)
      const fast = yield* play(script, true)
      expect(fast).toEqual(slow)
      // the script reaches every kind of answer
      const all = slow.join("\n")
      for (const expected of ["no job available", "serves dev/adder/mul, not dev/adder/add", "unknown session", "session_id is malformed", "is not held by", "already reported", "already completed", "longer than", "job_id is required", "fail recorded"]) {
        expect(all).toContain(expected)
      }
    })
  )

  it.effect("reads a bound session's binding without waiting once its agent is placed, and waits before", () =>
    Effect.gen(function* () {
      const store = yield* JobStore
      const sessions = yield* Sessions
      const reports = yield* Reports
      const path = makeFastPath({ store, sessions, reports, now: () => 0, chain: "testnet", withApp: false, logsInfo: true })
      const bound = yield* sessions.create(tripleA, { bound: true })
      const free = yield* sessions.create(tripleA)
      const shared: Transport = { _tag: "SharedSocket" }
      const own: Transport = { _tag: "SessionSocket", sessionId: bound.id }
      expect(path.bindingNow(bound.id, shared)).toBe("waiting")
      yield* sessions.bind(bound.id, { addresses: ["10.1.2.3"] })
      expect(path.bindingNow(bound.id, shared)).toMatch(/is bound to its agent/)
      expect(path.bindingNow(bound.id, own)).toBeUndefined()
      expect(path.bindingNow(bound.id, { _tag: "Tcp", peer: "10.1.2.3:4000", serverPort: 50051 })).toBeUndefined()
      expect(path.bindingNow(bound.id, { _tag: "Tcp", peer: "10.9.9.9:4000", serverPort: 50051 })).toMatch(/not accepted/)
      expect(path.bindingNow(free.id, shared)).toBeUndefined()
      expect(path.bindingNow(free.id, own)).toMatch(/another session/)
      // a revoked session is unknown: its calls are answered by the handler, not by the binding
      yield* sessions.revoke(bound.id, "gone")
      expect(path.bindingNow(bound.id, shared)).toBeUndefined()
    }).pipe(Effect.provide(env))
  )

  it.effect("logs an accepted report with its annotations only when info lines are logged; the reply is the same", () =>
    Effect.gen(function* () {
      const lines: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
      const keep = Logger.make(({ message, annotations }) => {
        const kept: Record<string, unknown> = {}
        for (const [k, v] of annotations) kept[k] = v
        lines.push({ message, annotations: kept })
      })
      const replies: Array<string> = []
      for (const logsInfo of [true, false]) {
        const answer = yield* Effect.gen(function* () {
          const store = yield* JobStore
          const sessions = yield* Sessions
          const reports = yield* Reports
          const path = makeFastPath({ store, sessions, reports, now: () => 0, chain: "testnet", withApp: false, logsInfo })
          const session = yield* sessions.create(tripleA)
          yield* store.addStarted(makeJob(1, tripleA))
          const before = (yield* Ref.get(yield* MemoryReports)).length
          const got = path.getJob({ sessionId: session.id, developer: tripleA.developer, agent: tripleA.agent, agentMethod: tripleA.agentMethod })
          if (Effect.isEffect(got) || got.job === undefined) throw new Error("expected a job at once")
          const done = path.completeJob({ sessionId: session.id, jobId: got.job.jobId })
          const reply = Effect.isEffect(done) ? yield* done : done
          return { reply, jobId: got.job.jobId, recorded: (yield* Ref.get(yield* MemoryReports)).length - before }
        }).pipe(Effect.provide(env), Effect.provide(Logger.replace(Logger.defaultLogger, keep)))
        expect(answer.recorded).toBe(1)
        replies.push(answer.reply.message.replace(answer.jobId, "<job>"))
        const logged = lines.filter((l) => String(l.message).includes("job complete reported"))
        if (logsInfo) {
          expect(logged).toHaveLength(1)
          expect(logged[0]!.annotations["job_id"]).toBe(answer.jobId)
          expect(Object.keys(logged[0]!.annotations).sort()).toEqual(["app_instance", "job_id", "session_id"])
        } else {
          expect(logged).toHaveLength(1) // still only the first run's line
        }
      }
      expect(replies[0]).toBe(replies[1])
    })
  )
})
