import { createChannel, createClient, Status, ClientError } from "nice-grpc"
import { Effect, Layer, Logger, LogLevel as EffectLogLevel } from "effect"
import { Sessions } from "../../src/layers/Sessions.js"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { CoordinatorServiceDefinition, LogLevel } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { makeJob, startApi, tripleA, tripleB } from "./fixture.js"

type Api = Awaited<ReturnType<typeof startApi>>

describe("agent API core RPCs over the Unix socket", () => {
  let api: Api
  let channel: ReturnType<typeof createChannel>
  let client: ReturnType<typeof createClient<typeof CoordinatorServiceDefinition>>
  beforeAll(async () => {
    api = await startApi()
    channel = createChannel(api.socketUrl)
    client = createClient(CoordinatorServiceDefinition, channel)
  })
  afterAll(async () => {
    channel.close()
    await api.close()
  })

  it("hands a started job to its triple's session, then completes it durably", async () => {
    const s = await api.newSession(tripleA)
    const jobId = await api.addStarted(makeJob(1, tripleA))
    const got = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
    expect(got.success).toBe(true)
    expect(got.job?.jobId).toBe(jobId)
    expect(got.job?.jobSequence).toBe(1n)
    expect(got.job?.appInstance).toBe(`0x${"ab".repeat(32)}`)
    expect(Buffer.from(got.job!.data).toString()).toBe("[1,1]")
    expect(got.job?.chain).toBe("testnet")
    const done = await client.completeJob({ jobId, sessionId: s.id })
    expect(done).toMatchObject({ success: true })
    const reports = await api.reports()
    expect(reports.filter((r) => r.jobId === jobId)).toEqual([
      expect.objectContaining({ kind: "complete", jobId, sessionId: s.id, jobSequence: 1n })
    ])
    // no more jobs: success with no job, which tells agents to exit
    const none = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
    expect(none.success).toBe(true)
    expect(none.job).toBeUndefined()
  })

  it("repeated CompleteJob is idempotent and a completed job cannot then be failed", async () => {
    const s = await api.newSession(tripleA)
    const jobId = await api.addStarted(makeJob(2, tripleA))
    await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
    expect((await client.completeJob({ jobId, sessionId: s.id })).success).toBe(true)
    expect((await client.completeJob({ jobId, sessionId: s.id })).success).toBe(true)
    const failed = await client.failJob({ jobId, sessionId: s.id, errorMessage: "late" })
    expect(failed.success).toBe(false)
    expect(failed.message).toMatch(/already completed/)
    const reports = (await api.reports()).filter((r) => r.jobId === jobId)
    expect(reports).toHaveLength(1)
  })

  it("FailJob records the error text; TerminateJob records a termination", async () => {
    const s = await api.newSession(tripleB)
    const j1 = await api.addStarted(makeJob(3, tripleB))
    const j2 = await api.addStarted(makeJob(4, tripleB))
    const g1 = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "mul", sessionId: s.id })
    const g2 = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "mul", sessionId: s.id })
    expect([g1.job?.jobId, g2.job?.jobId]).toEqual([j1, j2])
    expect((await client.failJob({ jobId: j1, sessionId: s.id, errorMessage: "bad data: x" })).success).toBe(true)
    expect((await client.terminateJob({ jobId: j2, sessionId: s.id })).success).toBe(true)
    const reports = await api.reports()
    expect(reports.find((r) => r.jobId === j1)).toMatchObject({ kind: "fail", error: "bad data: x" })
    expect(reports.find((r) => r.jobId === j2)).toMatchObject({ kind: "terminate" })
  })

  it("AgentMessage works before any job and refuses unknown sessions", async () => {
    const s = await api.newSession(tripleA)
    const ok = await client.agentMessage({ sessionId: s.id, level: LogLevel.LOG_LEVEL_INFO, message: "starting up" })
    expect(ok.success).toBe(true)
    const unknown = await client.agentMessage({ sessionId: `0x${"1".repeat(64)}`, level: LogLevel.LOG_LEVEL_INFO, message: "hi" })
    expect(unknown.success).toBe(false)
    expect(unknown.message).toMatch(/unknown session/)
  })

  it("the other RPCs answer UNIMPLEMENTED naming the RPC", async () => {
    const s = await api.newSession(tripleA)
    const err = await client.getKV({ jobId: "snX", sessionId: s.id, key: "k" }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClientError)
    expect((err as ClientError).code).toBe(Status.UNIMPLEMENTED)
    expect((err as ClientError).details).toMatch(/GetKV/)
    const err2 = await client.submitProof({ jobId: "snX", sessionId: s.id } as never).catch((e: unknown) => e)
    expect((err2 as ClientError).code).toBe(Status.UNIMPLEMENTED)
    expect((err2 as ClientError).details).toMatch(/SubmitProof/)
  })

  it("the same over TCP", async () => {
    const tcp = createChannel(api.tcpUrl)
    const c = createClient(CoordinatorServiceDefinition, tcp)
    const s = await api.newSession(tripleA)
    const jobId = await api.addStarted(makeJob(10, tripleA))
    const got = await c.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
    expect(got.job?.jobId).toBe(jobId)
    expect((await c.completeJob({ jobId, sessionId: s.id })).success).toBe(true)
    tcp.close()
  })
})

describe("agent API completion logs", () => {
  // The fast path builds a completion's log line only when the runtime logs info lines: at info
  // level the line is there with its annotations, at warning level it is not, and the reply is the same.
  it("logs an accepted CompleteJob at info level, and not at warning level", async () => {
    for (const level of [EffectLogLevel.Info, EffectLogLevel.Warning]) {
      const lines: Array<{ message: string; annotations: Record<string, unknown> }> = []
      const keep = Logger.make(({ message, annotations }) => {
        const kept: Record<string, unknown> = {}
        for (const [k, v] of annotations) kept[k] = v
        lines.push({ message: String(message), annotations: kept })
      })
      const api = await startApi({}, Layer.merge(Logger.replace(Logger.defaultLogger, keep), Logger.minimumLogLevel(level)))
      const channel = createChannel(api.socketUrl)
      const client = createClient(CoordinatorServiceDefinition, channel)
      try {
        const s = await api.newSession(tripleA)
        const jobId = await api.addStarted(makeJob(1, tripleA))
        await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
        expect(await client.completeJob({ jobId, sessionId: s.id })).toEqual({ success: true, message: `job ${jobId} complete recorded` })
        const logged = lines.filter((l) => l.message.includes("job complete reported"))
        if (level === EffectLogLevel.Info) {
          expect(logged).toHaveLength(1)
          expect(logged[0]!.annotations).toMatchObject({ job_id: jobId, app_instance: "ab".repeat(32) })
        } else {
          expect(logged).toEqual([])
        }
      } finally {
        channel.close()
        await api.close()
      }
    }
  })
})

describe("agent API calls that wait", () => {
  // A call of a bound session whose agent is still starting waits for the binding: cancelled by
  // its client, its fiber is interrupted and it leaves the in-flight count; a later call waits anew.
  it("a waiting call cancelled by its client is released", async () => {
    const api = await startApi()
    const channel = createChannel(api.socketUrl)
    const client = createClient(CoordinatorServiceDefinition, channel)
    try {
      const session = await api.run(Effect.flatMap(Sessions, (s) => s.create(tripleA, { bound: true })))
      const abort = new AbortController()
      const call = client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: session.id }, { signal: abort.signal })
      const settled = call.then(() => "answered", (e: unknown) => (e as Error).name)
      await vi.waitFor(() => expect(api.api.inFlight()).toBe(1), { timeout: 30_000 })
      abort.abort()
      expect(await settled).toBe("AbortError")
      await vi.waitFor(() => expect(api.api.inFlight()).toBe(0), { timeout: 30_000 })
      // the session is still usable: its next call waits again until the agent is placed
      const next = client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: session.id })
      await vi.waitFor(() => expect(api.api.inFlight()).toBe(1), { timeout: 30_000 })
      await api.run(Effect.flatMap(Sessions, (s) => s.bind(session.id, { addresses: ["10.1.2.3"] })))
      expect(await next).toMatchObject({ success: false, message: expect.stringMatching(/is bound to its agent/) })
      await vi.waitFor(() => expect(api.api.inFlight()).toBe(0), { timeout: 30_000 })
    } finally {
      channel.close()
      await api.close()
    }
  }, 60_000)
})
