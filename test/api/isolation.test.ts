import { ClientError, createChannel, createClient, Status } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { makeJob, startApi, tripleA, tripleB } from "./fixture.js"

const code = (e: unknown) => (e instanceof ClientError ? e.code : undefined)

describe("session isolation", () => {
  let api: Awaited<ReturnType<typeof startApi>>
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
  const ask = (sessionId: string, t = tripleA) =>
    client.getJob({ developer: t.developer, agent: t.agent, agentMethod: t.agentMethod, sessionId })

  it("a session cannot ask for a triple that is not its own, and nothing is handed out", async () => {
    const a = await api.newSession(tripleA)
    const jobB = await api.addStarted(makeJob(100, tripleB))
    const refused = await ask(a.id, tripleB)
    expect(refused.success).toBe(false)
    expect(refused.job).toBeUndefined()
    expect(refused.message).toMatch(/serves dev\/adder\/add/)
    const b = await api.newSession(tripleB)
    expect((await ask(b.id, tripleB)).job?.jobId).toBe(jobB)
  })

  it("a session cannot complete, fail or terminate another session's job", async () => {
    const a = await api.newSession(tripleA)
    const b = await api.newSession(tripleA)
    const jobId = await api.addStarted(makeJob(101, tripleA))
    expect((await ask(a.id)).job?.jobId).toBe(jobId)
    const before = (await api.reports()).length
    for (const res of [
      await client.completeJob({ jobId, sessionId: b.id }),
      await client.failJob({ jobId, sessionId: b.id, errorMessage: "x" }),
      await client.terminateJob({ jobId, sessionId: b.id })
    ]) {
      expect(res.success).toBe(false)
      expect(res.message).toMatch(/not held by session/)
    }
    expect((await api.reports()).length).toBe(before)
    // the holder still can
    expect((await client.completeJob({ jobId, sessionId: a.id })).success).toBe(true)
  })

  it("unknown job ids are refused with the same answer as other sessions' jobs", async () => {
    const a = await api.newSession(tripleA)
    // of the shape this coordinator issues, or of another (ids are opaque to agents): the same refusal
    for (const jobId of ["snDoesNotExist", "snZZZZ2", "job-7"]) {
      const res = await client.completeJob({ jobId, sessionId: a.id })
      expect(res.success).toBe(false)
      expect(res.message).toBe(`job ${jobId} is not held by session ${a.id.slice(0, 10)}…`)
      const logged = await client.agentMessage({ jobId, sessionId: a.id, level: 2, message: "m" })
      expect(logged).toMatchObject({ success: false, message: res.message })
    }
  })

  it("unknown (well-formed) session ids are refused; malformed and empty ones are INVALID_ARGUMENT", async () => {
    const waiting = await api.addStarted(makeJob(102, tripleA))
    const unknown = await ask(`0x${"f".repeat(64)}`)
    expect(unknown.success).toBe(false)
    expect(unknown.job).toBeUndefined()
    expect(unknown.message).toMatch(/unknown session/)
    for (const bad of ["", "0x1234", `0x${"G".repeat(64)}`, `${"a".repeat(66)}`, `0X${"a".repeat(64)}`]) {
      expect(code(await ask(bad).catch((e: unknown) => e))).toBe(Status.INVALID_ARGUMENT)
    }
    const emptyDev = await client
      .getJob({ developer: "", agent: "adder", agentMethod: "add", sessionId: `0x${"f".repeat(64)}` })
      .catch((e: unknown) => e)
    expect(code(emptyDev)).toBe(Status.INVALID_ARGUMENT)
    // the job was not handed out to any of them
    const owner = await api.newSession(tripleA)
    expect((await ask(owner.id)).job?.jobId).toBe(waiting)
  })

  it("a revoked session is unknown, and the jobs it held are returned for failing", async () => {
    const a = await api.newSession(tripleA)
    const jobId = await api.addStarted(makeJob(103, tripleA))
    expect((await ask(a.id)).job?.jobId).toBe(jobId)
    const released = await api.run(Effect.flatMap(Sessions, (s) => s.revoke(a.id, "container terminated: exit code 3")))
    expect(released).toEqual([expect.objectContaining({ kind: "fail", jobId, error: "container terminated: exit code 3" })])
    const after = await client.completeJob({ jobId, sessionId: a.id })
    expect(after.success).toBe(false)
    expect(after.message).toMatch(/unknown session/)
  })
})
