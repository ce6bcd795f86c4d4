/**
 * What the status page is fed: the StatusFeed over a real JobStore (TestClock time), its bounded
 * structures (timelines, the hour of throughput buckets, latency percentiles), the scrubbing of
 * agent text, and the browser sign-in of the HTTP guard (cookie from `/?token=`).
 */
import * as http from "node:http"
import { HttpServerRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, TestClock } from "effect"
import type { SessionId } from "../../src/domain/ids.js"
import type { AgentHandle } from "../../src/layers/AgentRuntime.js"
import { JobStore } from "../../src/layers/JobStore.js"
import { StatusFeed } from "../../src/layers/StatusFeed.js"
import { pageJobTimeline } from "../../src/layers/StatusPage.js"
import { scrub, shortId } from "../../src/layers/status/redact.js"
import { Reservoir, Throughput } from "../../src/layers/status/series.js"
import { Timelines } from "../../src/layers/status/timelines.js"
import { APP_INSTANCE, makeJob, tripleA } from "../api/fixture.js"
import { startOps } from "../ops/fixture.js"

const SESSION = `0x${"5e".repeat(32)}` as SessionId

/** A raw GET, so that the Host header is exactly what a rebinding page would send. */
const rawStatus = (url: string, headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request(url, { headers }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.once("error", reject)
    req.end()
  })

describe("status feed structures", () => {
  it("counts per bucket over the last hour and forgets what falls out of it", () => {
    const t = new Throughput(10_000, 6)
    t.add("completed", 5_000)
    t.add("completed", 9_999)
    t.add("failed", 15_000)
    let v = t.view(15_000)
    expect(v.completed).toEqual([0, 0, 0, 0, 2, 0])
    expect(v.failed).toEqual([0, 0, 0, 0, 0, 1])
    expect(v.from).toBe(-40_000)
    v = t.view(65_000)
    expect(v.completed).toEqual([0, 0, 0, 0, 0, 0])
    expect(v.failed).toEqual([1, 0, 0, 0, 0, 0])
    t.add("started", 0) // older than the window: dropped
    expect(t.view(65_000).started).toEqual([0, 0, 0, 0, 0, 0])
  })

  it("gives nearest-rank percentiles of the newest samples", () => {
    const r = new Reservoir(100)
    expect(r.percentiles()).toEqual({ samples: 0, p50: null, p99: null })
    for (let i = 1; i <= 300; i++) r.add(i)
    expect(r.percentiles()).toEqual({ samples: 100, p50: 250, p99: 299 })
  })

  it("keeps a job's steps in story order and finds jobs by sequence, app instance, triple and state", () => {
    const tl = new Timelines(3)
    const job = (seq: number) => ({ ...makeJob(seq, tripleA), attempts: 1 })
    tl.transition(job(1), "pending", { jobId: undefined, heldBy: undefined, error: undefined }, 10)
    tl.transition(job(1), "started", { jobId: "j1", heldBy: undefined, error: undefined }, 20)
    tl.transition(job(1), "held", { jobId: "j1", heldBy: SESSION, error: undefined }, 30)
    tl.transition(job(1), "completed", { jobId: "j1", heldBy: SESSION, error: undefined }, 40)
    // a Move call the job made settles before its completion does: the job is not settled by it
    tl.settled({ kind: "call", appInstance: APP_INSTANCE, jobSequence: 1n, result: "done", txDigest: "C1", detail: null }, 45)
    expect(tl.get(APP_INSTANCE, 1n)!.state).toBe("completed")
    tl.transition(job(1), "removed", { jobId: "j1", heldBy: SESSION, error: undefined }, 50)
    tl.settled({ kind: "complete", appInstance: APP_INSTANCE, jobSequence: 1n, result: "done", txDigest: "D1", detail: null }, 51)
    const r = tl.get(APP_INSTANCE, 1n)!
    expect(r.steps.map((s) => s.kind)).toEqual(["created", "started", "handed_out", "completed", "settled", "settled", "removed"])
    expect(r.state).toBe("settled")
    expect(r.steps[2]!.session).toBe(shortId(SESSION))
    expect(JSON.stringify(r)).not.toContain("5e".repeat(32))
    for (const seq of [2, 3, 4]) tl.transition(job(seq), "pending", { jobId: undefined, heldBy: undefined, error: undefined }, 60 + seq)
    expect(tl.get(APP_INSTANCE, 1n)).toBeUndefined() // the oldest left the bounded history
    expect(tl.search({ q: "3" }).map((j) => j.sequence)).toEqual(["3"])
    expect(tl.search({ q: `0x${APP_INSTANCE.slice(0, 6)}` }).map((j) => j.sequence)).toEqual(["4", "3", "2"])
    expect(tl.search({ q: "adder/add" }).length).toBe(3)
    expect(tl.search({ q: "nobody" })).toEqual([])
    expect(tl.search({ state: "pending", limit: 2 }).map((j) => j.sequence)).toEqual(["4", "3"])
  })

  it("scrubs private keys and whole session ids out of agent text", () => {
    const text = `key suiprivkey1qzabcdef0123 for ${SESSION} and ${SESSION.slice(2)}; app 0x${"cd".repeat(32)}`
    const out = scrub(text, [SESSION])
    expect(out).not.toContain("suiprivkey1qz")
    expect(out).not.toContain("5e".repeat(32))
    expect(out).toContain(`0x${"cd".repeat(32)}`)
    expect(out).toContain(shortId(SESSION))
  })
})

describe("StatusFeed over a JobStore", () => {
  it.scoped("follows store transitions: totals, throughput, dispatch latency, jobs taken, timelines, agent messages", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_005_000)
      const feed = yield* StatusFeed
      const store = yield* JobStore
      yield* store.addStarted(makeJob(1, tripleA))
      yield* store.addStarted(makeJob(2, tripleA))
      const taken = yield* store.takeNext(SESSION, tripleA)
      const jobId = Option.getOrThrow(taken).jobId!
      yield* store.report(SESSION, jobId, "complete")
      yield* feed.agentMessage(SESSION, "info", `hello from ${SESSION} suiprivkey1secretsecret`)
      const view = yield* feed.view
      expect(view.totals).toEqual({ started: 2, completed: 1, failed: 0 })
      expect(view.throughput.completed.reduce((a, b) => a + b, 0)).toBe(1)
      // created at 1_700_000_000_000 (chain time), handed out at 1_700_000_005_000
      expect(view.dispatchLatencyMs).toEqual({ samples: 1, p50: 5000, p99: 5000 })
      expect(view.agents.live).toHaveLength(1)
      const agent = view.agents.live[0]!
      expect(agent).toMatchObject({ session: shortId(SESSION), jobsTaken: 1 })
      expect(agent.messages[0]!.message).toBe(`hello from ${shortId(SESSION)} suiprivkey…(redacted)`)
      const found = yield* feed.search({ state: "completed" })
      expect(found.map((j) => j.sequence)).toEqual(["1"])
      const timeline = yield* feed.timeline(APP_INSTANCE, 1n)
      expect(Option.getOrThrow(timeline).steps.map((s) => s.kind)).toEqual(["created", "started", "handed_out", "completed"])
    }).pipe(Effect.provide(StatusFeed.layer.pipe(Layer.provideMerge(JobStore.layerMemory()))))
  )
})

describe("GET /v1/feed/job", () => {
  it.scoped("decodes its query where it enters: an app instance id in any spelling and a decimal sequence; anything else is 400", () =>
    Effect.gen(function* () {
      const store = yield* JobStore
      yield* store.addStarted(makeJob(1, tripleA))
      const status = (query: Record<string, string>) =>
        pageJobTimeline.pipe(
          Effect.provideService(HttpServerRequest.ParsedSearchParams, query),
          Effect.map((res) => res.status)
        )
      expect(yield* status({ app_instance: `0x${APP_INSTANCE.toUpperCase()}`, sequence: "1" })).toBe(200)
      expect(yield* status({ app_instance: APP_INSTANCE, sequence: "1" })).toBe(200)
      expect(yield* status({ app_instance: APP_INSTANCE, sequence: "2" })).toBe(404)
      for (const bad of [{ app_instance: "0xzz", sequence: "1" }, { app_instance: APP_INSTANCE, sequence: "1x" }, { sequence: "1" }]) {
        expect(yield* status(bad)).toBe(400)
      }
    }).pipe(Effect.provide(StatusFeed.layer.pipe(Layer.provideMerge(JobStore.layerMemory()))))
  )
})

describe("StatusFeed agents", () => {
  it.scoped("an agent's start and end: its live output, then its last output kept once it ended, in the ended list", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const feed = yield* StatusFeed
      let output = `line 1\n${SESSION} started\n`
      const handle: AgentHandle = {
        id: "pid:1",
        name: "agent-1",
        exit: Effect.never,
        logs: Effect.sync(() => ({ stdout: output, stderr: "", totalBytes: output.length, truncated: false })),
        stop: () => Effect.never,
        remove: Effect.void
      }
      yield* feed.agentStarted({ id: SESSION, triple: tripleA }, handle, "process")
      const live = (yield* feed.view).agents.live
      expect(live).toMatchObject([{ name: "agent-1", runtime: "process", developer: tripleA.developer, endedAt: null }])
      expect(live[0]!.output).toEqual(["line 1", `${shortId(SESSION)} started`])

      yield* TestClock.adjust("5 seconds")
      yield* feed.agentEnded({ sessionId: SESSION, triple: tripleA, exit: { reason: "exited", exitCode: 0, message: `bye ${SESSION}` } })
      output = "printed after the end, never shown"
      const view = yield* feed.view
      expect(view.agents.live).toEqual([])
      expect(view.agents.ended).toMatchObject([{ endedAt: 1_700_000_005_000, exit: { exitCode: 0, message: `bye ${shortId(SESSION)}` } }])
      expect(view.agents.ended.map((a) => [a.session, a.output])).toEqual([[shortId(SESSION), ["line 1", `${shortId(SESSION)} started`]]])
    }).pipe(Effect.provide(StatusFeed.layer.pipe(Layer.provideMerge(JobStore.layerMemory()))))
  )
})

describe("the guard signs a browser in", () => {
  it.live("with /?token= it sets an HttpOnly SameSite cookie that then opens the guarded paths; a wrong token gets nothing", () =>
    Effect.promise(async () => {
      const ops = await startOps()
      try {
        const token = Redacted.value(ops.http.auth.token)
        const base = ops.http.url
        const wrong = await fetch(`${base}/?token=${"1".repeat(64)}`, { redirect: "manual" })
        expect(wrong.status).toBe(401)
        expect(wrong.headers.get("set-cookie")).toBeNull()
        expect((await fetch(`${base}/`)).status).toBe(401)
        const ok = await fetch(`${base}/?token=${token}`, { redirect: "manual" })
        expect(ok.status).toBe(303)
        expect(ok.headers.get("location")).toBe("/")
        const cookie = ok.headers.get("set-cookie")!
        expect(cookie).toMatch(/^silvana_token=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/)
        const jar = cookie.split(";")[0]!
        expect((await fetch(`${base}/v1/status`, { headers: { cookie: jar } })).status).toBe(200)
        // this server has no status page: the guard lets the request through to an honest 404
        expect((await fetch(`${base}/`, { headers: { cookie: jar } })).status).toBe(404)
        expect((await fetch(`${base}/v1/status`, { headers: { cookie: `silvana_token=${"2".repeat(64)}` } })).status).toBe(401)
        expect(await rawStatus(`${base}/v1/status`, { cookie: jar, host: "evil.example" })).toBe(403)
        expect(await rawStatus(`${base}/?token=${token}`, { host: "evil.example" })).toBe(403)
        expect((await fetch(`${base}/health`)).status).toBe(200)
      } finally {
        await ops.close()
      }
    })
  )
})
