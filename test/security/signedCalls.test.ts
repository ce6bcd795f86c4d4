/**
 * Proof of possession over the real agent API (Unix socket, real gRPC): with SESSION_AUTH=strict
 * against a localnet, the SDK's signed calls work end to end and every one of the 31 RPCs refuses
 * an unsigned, replayed, forged, wrong-key or stale call with UNAUTHENTICATED, doing nothing for it.
 * With the default `bound`, unsigned calls (published agents) still work and a signature that is
 * present is still checked. A @connectrpc client signs the same bytes through an interceptor.
 */
import * as net from "node:net"
import { toBinary } from "@bufbuild/protobuf"
import { Code, ConnectError, createClient as connectClient, type Interceptor } from "@connectrpc/connect"
import { createGrpcTransport } from "@connectrpc/connect-node"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Effect, Redacted } from "effect"
import { ClientError, Metadata, Status } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition, GetJobRequest } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { AgentClient, type CallSigner, sessionSigner } from "../../src/sdk/index.js"
import { proveTriple } from "../api/appFixture.js"
import { appApiForSuite } from "../api/appSuite.js"
import { makeJob, startApi, tripleA } from "../api/fixture.js"
import { METHOD } from "../chain/fixture.js"
import { CoordinatorService } from "../gen/silvana/coordinator/v1/coordinator_pb.js"

const GET_JOB = "/silvana.coordinator.v1.CoordinatorService/GetJob"
const failure = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: unknown) => (e instanceof ClientError ? `${Status[e.code]}: ${e.details}` : String(e))
  )
const getJobBytes = (req: Parameters<typeof GetJobRequest.fromPartial>[0]) => GetJobRequest.encode(GetJobRequest.fromPartial(req)).finish()

describe("SESSION_AUTH=strict on a localnet", () => {
  const f = appApiForSuite({ agentApi: { sessionAuth: "strict" } }, undefined, 120_000)

  const sdk = (h: { sessionId: string; privateKey: string }, proof?: "hmac") =>
    AgentClient.fromEnv({
      SESSION_ID: h.sessionId, SESSION_PRIVATE_KEY: h.privateKey, DEVELOPER: proveTriple.developer, AGENT: proveTriple.agent,
      AGENT_METHOD: proveTriple.agentMethod, COORDINATOR_SOCKET: f.api.socketPath, ...(proof === undefined ? {} : { SESSION_CALL_PROOF: proof })
    })

  it("with SESSION_CALL_PROOF=hmac the SDK's calls carry a MAC, are accepted, and the job is done; a MAC under another key is refused", async () => {
    const h = await f.holdJob(METHOD, {}, false)
    const agent = sdk(h, "hmac")
    try {
      const job = await agent.getJob()
      expect(job?.jobSequence).toBe(h.seq)
      expect(await agent.setKV(job!.jobId, "maced", "yes")).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/)
      expect(await agent.getKV(job!.jobId, "maced")).toBe("yes")
      // the same call under another session's call key
      const forged = sessionSigner(Ed25519Keypair.generate().getSecretKey(), "hmac").sign(GET_JOB, getJobBytes({ sessionId: h.sessionId }), Date.now())
      expect(await failure(f.client.getJob({ sessionId: h.sessionId }, { metadata: Metadata(forged) }))).toMatch(/^UNAUTHENTICATED: .*MAC does not match/)
      await agent.completeJob(job!.jobId)
    } finally {
      agent.close()
    }
  })

  it("the SDK's signed calls are accepted: it takes its job, writes the chain and completes the job", async () => {
    const h = await f.holdJob(METHOD, {}, false)
    const agent = sdk(h)
    try {
      const job = await agent.getJob()
      expect(job?.jobSequence).toBe(h.seq)
      await agent.log("info", "signed line", job!.jobId)
      expect(await agent.setKV(job!.jobId, "signed", "yes")).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/)
      expect(await agent.getKV(job!.jobId, "signed")).toBe("yes")
      await agent.completeJob(job!.jobId)
    } finally {
      agent.close()
    }
  })

  it("all 31 RPCs refuse an unsigned call with UNAUTHENTICATED, and none of them acts: the job stays its agent's", async () => {
    const h = await f.holdJob(METHOD, {}, false)
    const agent = sdk(h)
    try {
      const job = await agent.getJob()
      const methods = Object.entries(CoordinatorServiceDefinition.methods)
      expect(methods).toHaveLength(31)
      for (const [key, method] of methods) {
        const call = f.client[key as keyof typeof f.client] as (req: object) => Promise<unknown>
        const answer = await failure(call.call(f.client, { sessionId: h.sessionId, jobId: job!.jobId, key: "unsigned", value: "x", daHash: "x" }))
        expect(answer, method.name).toMatch(/^UNAUTHENTICATED: session 0x[0-9a-f]{8}…: SESSION_AUTH=strict: every call must be signed/)
      }
      expect(await agent.getKV(job!.jobId, "unsigned")).toBeUndefined()
      await agent.completeJob(job!.jobId)
    } finally {
      agent.close()
    }
  })

  it("replayed, forged, wrong-key, stale and half-signed calls are refused; the genuine one is served once", async () => {
    const h = await f.holdJob(METHOD, {}, false)
    const other = await f.holdJob(METHOD, {}, false)
    const signer = sessionSigner(h.privateKey)
    const req = { ...proveTriple, sessionId: h.sessionId }
    const bytes = getJobBytes(req)
    const ask = (headers: Readonly<Record<string, string>>, r: object = req) => failure(f.client.getJob(r, { metadata: Metadata(headers) }))
    const genuine = signer.sign(GET_JOB, bytes, Date.now())

    // wrong keys: a stranger's, and another live session's
    expect(await ask(sessionSigner(Ed25519Keypair.generate().getSecretKey()).sign(GET_JOB, bytes, Date.now()))).toMatch(/^UNAUTHENTICATED: .*signed by a key that is not the session's/)
    expect(await ask(sessionSigner(other.privateKey).sign(GET_JOB, bytes, Date.now()))).toMatch(/not the session's/)
    // forged: the genuine headers on another request, or on another method
    expect(await ask(genuine, { ...req, agentMethod: "merge" })).toMatch(/^UNAUTHENTICATED: .*does not match the call/)
    expect(await failure(f.client.getKV({ sessionId: h.sessionId, jobId: "x", key: "k" }, { metadata: Metadata(genuine) }))).toMatch(/does not match the call/)
    // stale, from the future, half-signed
    expect(await ask(signer.sign(GET_JOB, bytes, Date.now() - 120_000))).toMatch(/^UNAUTHENTICATED: .* s old; at most 30 s/)
    expect(await ask(signer.sign(GET_JOB, bytes, Date.now() + 120_000))).toMatch(/ s ahead/)
    expect(await ask({ "silvana-signature": genuine["silvana-signature"] })).toMatch(/needs silvana-signature, silvana-timestamp and silvana-nonce/)

    // none of those took the job; the genuine call does, once; its replay is refused
    const got = await f.client.getJob(req, { metadata: Metadata(genuine) })
    expect(got.job?.jobSequence).toBe(h.seq)
    expect(await ask(genuine)).toMatch(/^UNAUTHENTICATED: .*already received \(a replay\)/)
  })
})

describe("SESSION_AUTH=bound (the default) and a Connect client", () => {
  let api: Awaited<ReturnType<typeof startApi>>
  let strict: Awaited<ReturnType<typeof startApi>>
  beforeAll(async () => {
    ;[api, strict] = await Promise.all([startApi(), startApi({ sessionAuth: "strict" })])
  })
  afterAll(async () => {
    await Promise.all([api?.close(), strict?.close()])
  })

  const sessionWithKey = async (a: typeof api) => {
    const s = await a.run(Effect.flatMap(Sessions, (x) => x.create(tripleA)))
    return { id: s.id as string, signer: sessionSigner(Redacted.value(s.privateKey)) }
  }

  it("bound: an unsigned call is served (published agents); a present signature is still checked", async () => {
    const s = await sessionWithKey(api)
    const jobId = await api.addStarted(makeJob(900, tripleA))
    const { createChannel, createClient } = await import("nice-grpc")
    const channel = createChannel(api.socketUrl)
    const client = createClient(CoordinatorServiceDefinition, channel)
    try {
      const req = { ...tripleA, sessionId: s.id }
      const forged = { ...s.signer.sign(GET_JOB, getJobBytes(req), Date.now()), "silvana-timestamp": String(Date.now() + 1) }
      expect(await failure(client.getJob(req, { metadata: Metadata(forged) }))).toMatch(/^UNAUTHENTICATED: .*does not match the call/)
      const signed = s.signer.sign(GET_JOB, getJobBytes(req), Date.now())
      expect((await client.getJob(req, { metadata: Metadata(signed) })).job?.jobId).toBe(jobId)
      expect(await failure(client.getJob(req, { metadata: Metadata(signed) }))).toMatch(/a replay/)
      const unsigned = await client.completeJob({ sessionId: s.id, jobId })
      expect(unsigned.success).toBe(true)
    } finally {
      channel.close()
    }
  })

  const signing = (signer: CallSigner): Interceptor => (next) => async (req) => {
    if (!req.stream) {
      const headers = signer.sign(new URL(req.url).pathname, toBinary(req.method.input, req.message), Date.now())
      for (const [name, value] of Object.entries(headers)) req.header.set(name, value)
    }
    return next(req)
  }
  const connect = (a: typeof api, interceptors: Array<Interceptor> = []) =>
    connectClient(
      CoordinatorService,
      createGrpcTransport({ baseUrl: "http://localhost", interceptors, nodeOptions: { createConnection: () => net.createConnection(a.options.socketPath) } })
    )

  it("strict: a Connect client that signs through an interceptor runs its job loop; an unsigned one is refused", async () => {
    const s = await sessionWithKey(strict)
    const jobId = await strict.addStarted(makeJob(901, tripleA))
    const unsigned = await connect(strict).getJob({ ...tripleA, sessionId: s.id }).catch((e: unknown) => e)
    expect(unsigned).toBeInstanceOf(ConnectError)
    expect((unsigned as ConnectError).code).toBe(Code.Unauthenticated)
    expect((unsigned as ConnectError).rawMessage).toMatch(/SESSION_AUTH=strict/)
    const client = connect(strict, [signing(s.signer)])
    expect((await client.agentMessage({ sessionId: s.id, level: 2, message: "signed by connect" })).success).toBe(true)
    expect((await client.getJob({ ...tripleA, sessionId: s.id })).job?.jobId).toBe(jobId)
    expect((await client.completeJob({ sessionId: s.id, jobId })).success).toBe(true)
  })
})
