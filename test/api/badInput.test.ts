import * as net from "node:net"
import * as grpc from "@grpc/grpc-js"
import { ClientError, createChannel, createClient, Status } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition, FailJobRequest } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { makeJob, startApi, tripleA } from "./fixture.js"

const code = (e: unknown) => (e instanceof ClientError ? e.code : e)

/** Sends hand-made request bytes, the way a broken client would. */
const rawCall = (address: string, method: string, body: Uint8Array) =>
  new Promise<{ code: number; details: string } | Buffer>((resolve) => {
    const client = new grpc.Client(address, grpc.credentials.createInsecure())
    client.makeUnaryRequest(
      `/silvana.coordinator.v1.CoordinatorService/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      (err, value) => {
        client.close()
        resolve(err ? { code: err.code, details: err.details } : value!)
      }
    )
  })

describe("bad input", () => {
  let api: Awaited<ReturnType<typeof startApi>>
  let channel: ReturnType<typeof createChannel>
  let client: ReturnType<typeof createClient<typeof CoordinatorServiceDefinition>>
  beforeAll(async () => {
    api = await startApi()
    channel = createChannel(api.socketUrl, undefined, { "grpc.max_send_message_length": 64 * 1024 * 1024 })
    client = createClient(CoordinatorServiceDefinition, channel)
  })
  afterAll(async () => {
    channel.close()
    await api.close()
  })
  const stillServing = async () => {
    const s = await api.newSession(tripleA)
    const res = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
    expect(res.success).toBe(true)
  }

  it("empty ids are INVALID_ARGUMENT", async () => {
    const s = await api.newSession(tripleA)
    expect(code(await client.completeJob({ jobId: "", sessionId: s.id }).catch((e) => e))).toBe(Status.INVALID_ARGUMENT)
    expect(code(await client.failJob({ jobId: "snA", sessionId: "", errorMessage: "" }).catch((e) => e))).toBe(Status.INVALID_ARGUMENT)
    expect(code(await client.terminateJob({ jobId: "", sessionId: "" }).catch((e) => e))).toBe(Status.INVALID_ARGUMENT)
    expect(code(await client.agentMessage({ sessionId: "", level: 2, message: "x" }).catch((e) => e))).toBe(Status.INVALID_ARGUMENT)
    await stillServing()
  })

  it("a 10 MB error message is INVALID_ARGUMENT naming the field; the job stays held and can still be failed", async () => {
    const s = await api.newSession(tripleA)
    const jobId = await api.addStarted(makeJob(200, tripleA))
    await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
    const err = await client.failJob({ jobId, sessionId: s.id, errorMessage: "e".repeat(10 * 1024 * 1024) }).catch((e) => e)
    expect(code(err)).toBe(Status.INVALID_ARGUMENT)
    expect((err as ClientError).details).toMatch(/error_message is longer than/)
    expect((await client.failJob({ jobId, sessionId: s.id, errorMessage: "short" })).success).toBe(true)
    await stillServing()
  })

  it("a request above the transport limit is RESOURCE_EXHAUSTED and the server keeps serving", async () => {
    const small = await startApi({ maxMessageBytes: 1024 * 1024 })
    const ch = createChannel(small.socketUrl, undefined, { "grpc.max_send_message_length": 64 * 1024 * 1024 })
    const c = createClient(CoordinatorServiceDefinition, ch)
    const s = await small.newSession(tripleA)
    const err = await c.agentMessage({ sessionId: s.id, level: 2, message: "m".repeat(2 * 1024 * 1024) }).catch((e) => e)
    expect(code(err)).toBe(Status.RESOURCE_EXHAUSTED)
    expect((await c.agentMessage({ sessionId: s.id, level: 2, message: "ok" })).success).toBe(true)
    ch.close()
    await small.close()
  })

  it("invalid UTF-8 in an id is INVALID_ARGUMENT; in free text it is kept with replacement characters", async () => {
    const s = await api.newSession(tripleA)
    const jobId = await api.addStarted(makeJob(201, tripleA))
    await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: s.id })
    // CompleteJobRequest: job_id (1) = bytes ff fe, session_id (2)
    const sid = Buffer.from(s.id)
    const body = Buffer.concat([Buffer.from([0x0a, 2, 0xff, 0xfe, 0x12, sid.length]), sid])
    const res = await rawCall(`unix://${api.options.socketPath}`, "CompleteJob", body)
    expect(res).toMatchObject({ code: Status.INVALID_ARGUMENT, details: expect.stringMatching(/job_id is not valid UTF-8/) })
    // FailJob with an invalid UTF-8 error text is accepted: the report is kept, not lost
    const valid = FailJobRequest.encode({ jobId, sessionId: s.id, errorMessage: "" }).finish()
    const failBody = Buffer.concat([Buffer.from(valid), Buffer.from([0x12, 3, 0x61, 0xc3, 0x28])])
    const failed = await rawCall(`unix://${api.options.socketPath}`, "FailJob", failBody)
    expect(Buffer.isBuffer(failed)).toBe(true)
    const report = (await api.reports()).find((r) => r.jobId === jobId)
    expect(report).toMatchObject({ kind: "fail", error: "a\uFFFD(" })
  })

  it("garbage bytes on the socket and on TCP do not stop the server", async () => {
    for (const target of [{ path: api.options.socketPath }, { host: "127.0.0.1", port: api.api.tcp.port }]) {
      await new Promise<void>((resolve) => {
        const sock = net.createConnection(target as net.NetConnectOpts)
        sock.on("error", () => resolve())
        sock.on("close", () => resolve())
        sock.on("connect", () => {
          sock.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
          sock.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)))
          setTimeout(() => sock.destroy(), 100)
        })
      })
    }
    // a truncated protobuf is a deserialisation error for that call only
    const broken = await rawCall(`unix://${api.options.socketPath}`, "GetJob", Buffer.from([0x0a, 0x50, 0x61]))
    expect(Buffer.isBuffer(broken)).toBe(false)
    await stillServing()
  })
})
