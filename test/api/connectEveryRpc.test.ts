/**
 * Every one of the 31 RPCs from a @connectrpc/connect-node client (the client Silvana's published
 * TypeScript agents use), against the real AgentApi on a localnet:
 *
 * - an agent's whole life over the Unix socket, calling each RPC once with a success answer and
 *   reading back the chain state the writes leave;
 * - every refusal (another session's job, a job nobody holds, a finished job, a malformed session
 *   id) over TCP and the socket, compared answer for answer with the nice-grpc client (status code
 *   and text, or `success=false` and message), with no job-scoped RPC ever answering success and
 *   nothing of the refused calls reaching the chain.
 */
import * as net from "node:net"
import { Code, ConnectError, createClient as connectClient, type Client } from "@connectrpc/connect"
import { createGrpcTransport } from "@connectrpc/connect-node"
import { Effect } from "effect"
import { ClientError, Status } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSecretsStore } from "../../src/layers/Secrets.js"
import { addSettlementChain, increaseSequence } from "../../src/localnet/appSeeding.js"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { CoordinatorService, LogLevel, ProofEventType } from "../gen/silvana/coordinator/v1/coordinator_pb.js"
import { type AppApiFixture, proveTriple, startAppApi } from "./appFixture.js"

type Connect = Client<typeof CoordinatorService>

const overSocket = (f: AppApiFixture): Connect =>
  connectClient(CoordinatorService, createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => net.createConnection(f.api.socketPath) }
  }))
const overTcp = (f: AppApiFixture): Connect => connectClient(CoordinatorService, createGrpcTransport({ baseUrl: `http://${f.tcpUrl}` }))

/** The RPCs as the service lists them (lower camel case, as both clients name them). */
const rpcNames = Object.keys(CoordinatorServiceDefinition.methods)

describe("every RPC from a @connectrpc/connect-node client", () => {
  let f: AppApiFixture
  beforeAll(async () => {
    f = await startAppApi()
    // Each call adds the state of the instance's current sequence, from 0: states 0..2, block 1 is
    // sequences 1..2; a later call adds sequence 3, proved (and rejected) in block 2.
    await increaseSequence(f.net.manifest, { count: 3, optimisticState: (i) => new Uint8Array([40 + i]), transitionData: (i) => new Uint8Array([50 + i]) })
    await Effect.runPromise(makeSecretsStore(f.dir, f.secretsKey).set({ developer: "dev", agent: "agent", name: "api" }, "connect-secret"))
  }, 120_000)
  afterAll(async () => {
    await f?.close()
  })

  it("lists 31 RPCs, the same in both generated clients", () => {
    expect(rpcNames).toHaveLength(31)
    expect(CoordinatorService.methods.map((m) => m.localName).sort()).toEqual([...rpcNames].sort())
  })

  it("an agent's whole life over the socket: each of the 31 answers with success and the chain shows the writes", async () => {
    const c = overSocket(f)
    const called = new Set<string>()
    const ok = async <A extends { success: boolean; message?: string }>(name: string, p: Promise<A>): Promise<A> => {
      const r = await p
      called.add(name)
      expect([name, r.success, r.message]).toEqual([name, true, r.message])
      return r
    }
    const held = await f.holdJob(undefined, {}, false)
    const { sessionId } = held

    const got = await ok("getJob", c.getJob({ ...proveTriple, sessionId }))
    const jobId = got.job!.jobId
    expect(got.job!.jobSequence).toBe(held.seq)
    const job = { sessionId, jobId }
    await ok("agentMessage", c.agentMessage({ sessionId, jobId, level: LogLevel.INFO, message: "connect agent up" }))

    // app instance: kv, metadata, the instance itself, a secret
    await ok("setKV", c.setKV({ ...job, key: "via", value: "connect" }))
    expect((await ok("getKV", c.getKV({ ...job, key: "via" }))).value).toBe("connect")
    await ok("setKV", c.setKV({ ...job, key: "gone", value: "soon" }))
    await ok("deleteKV", c.deleteKV({ ...job, key: "gone" }))
    await ok("addMetadata", c.addMetadata({ ...job, key: "client", value: "connect" }))
    expect((await ok("getMetadata", c.getMetadata({ ...job, key: "client" }))).metadata?.value).toBe("connect")
    expect((await ok("getAppInstance", c.getAppInstance(job))).appInstance?.id).toBe(f.net.manifest.appInstanceId)
    expect((await ok("retrieveSecret", c.retrieveSecret({ ...job, name: "api" }))).secretValue).toBe("connect-secret")
    await f.idle()
    const afterInstanceWrites = await f.instanceJson()
    expect(afterInstanceWrites.kv.contents).toEqual([{ key: "via", value: "connect" }])
    expect(afterInstanceWrites.metadata.contents).toContainEqual({ key: "client", value: "connect" })

    // sequence states and data availability
    expect((await ok("getSequenceStates", c.getSequenceStates({ ...job, sequence: 2n }))).states.map((s) => s.sequence)).toEqual([0n, 1n, 2n])
    const state = await ok("submitState", c.submitState({ ...job, sequence: 1n, newStateData: new Uint8Array([9]), serializedState: "state 1 via connect" }))
    expect((await ok("readDataAvailability", c.readDataAvailability({ sessionId, daHash: state.daHash! }))).data).toBe("state 1 via connect")

    // block 1 (sequences 1..2), proved by two leaves and their merge
    f.net.chain.advanceClock(61_000)
    expect((await ok("tryCreateBlock", c.tryCreateBlock(job))).blockNumber).toBe(1n)
    expect((await ok("getBlock", c.getBlock({ ...job, blockNumber: 1n }))).block).toMatchObject({ startSequence: 1n, endSequence: 2n })
    for (const s of [1n, 2n]) await ok("submitProof", c.submitProof({ ...job, blockNumber: 1n, sequences: [s], proof: `leaf ${s}`, cpuTime: 1n }))
    expect((await ok("getProof", c.getProof({ ...job, blockNumber: 1n, sequences: [2n] }))).proof).toBe("leaf 2")
    await ok("submitProof", c.submitProof({ ...job, blockNumber: 1n, sequences: [1n, 2n], mergedSequences1: [1n], mergedSequences2: [2n], proof: "leaf 1+leaf 2", cpuTime: 2n }))
    await f.idle()
    expect((await ok("getBlockProof", c.getBlockProof({ ...job, blockNumber: 1n }))).blockProof).toBe("leaf 1+leaf 2")
    await ok("proofEvent", c.proofEvent({ ...job, dataAvailability: state.daHash!, blockNumber: 1n, proofEventType: ProofEventType.PROOF_VERIFIED, sequences: [1n, 2n], mergedSequences1: [1n], mergedSequences2: [2n] }))

    // a proof in block 2 rejected
    await increaseSequence(f.net.manifest, { count: 1 })
    await ok("submitProof", c.submitProof({ ...job, blockNumber: 2n, sequences: [3n], proof: "leaf 3", cpuTime: 1n }))
    await f.idle()
    expect((await ok("rejectProof", c.rejectProof({ ...job, blockNumber: 2n, sequences: [3n] }))).txHash).not.toBe("")

    // block 1's data availability, then its settlement on chain "l2"
    await ok("updateBlockStateDataAvailability", c.updateBlockStateDataAvailability({ ...job, blockNumber: 1n, stateDataAvailability: "block 1 state" }))
    await ok("updateBlockProofDataAvailability", c.updateBlockProofDataAvailability({ ...job, blockNumber: 1n, proofDataAvailability: "block 1 proof" }))
    await addSettlementChain(f.net.manifest, "l2")
    await ok("updateBlockSettlementTxHash", c.updateBlockSettlementTxHash({ ...job, blockNumber: 1n, settlementTxHash: "0xc0", chain: "l2" }))
    expect((await ok("getBlockSettlement", c.getBlockSettlement({ ...job, blockNumber: 1n, chain: "l2" }))).blockSettlement?.settlementTxHash).toBe("0xc0")
    await ok("updateBlockSettlement", c.updateBlockSettlement({ ...job, blockNumber: 1n, chain: "l2", settlementTxHash: "0xc1", settlementTxIncludedInBlock: false }))
    await ok("submitSettlementProof", c.submitSettlementProof({ ...job, blockNumber: 1n, proof: "settled by connect", cpuTime: 1n, chain: "l2" }))
    expect((await ok("getSettlementProof", c.getSettlementProof({ ...job, blockNumber: 1n, settlementChain: "l2" }))).proof).toBe("settled by connect")
    await ok("updateBlockSettlementTxIncludedInBlock", c.updateBlockSettlementTxIncludedInBlock({ ...job, blockNumber: 1n, settledAt: 77n, chain: "l2" }))
    const settled = await f.instanceJson()
    expect(settled.settlements.contents.find((e: { key: string }) => e.key === "l2").value.last_settled_block_number).toBe("1")

    // a new job on chain, then the job's end; two more jobs for the other endings
    const before = BigInt((await f.instanceJson()).jobs.next_job_sequence)
    expect((await ok("createAppJob", c.createAppJob({ ...job, methodName: "merge", sequences: [1n, 2n], sequences1: [1n], sequences2: [2n], data: new Uint8Array([1]), blockNumber: 1n }))).jobSequence).toBe(before)
    await ok("completeJob", c.completeJob(job))
    const failing = await f.holdJob()
    await ok("failJob", c.failJob({ sessionId: failing.sessionId, jobId: failing.jobId, errorMessage: "failed via connect" }))
    const terminating = await f.holdJob()
    await ok("terminateJob", c.terminateJob({ sessionId: terminating.sessionId, jobId: terminating.jobId }))

    expect([...rpcNames].filter((n) => !called.has(n))).toEqual([])
  })

  describe("refusals answer alike from both clients, over TCP and the socket", () => {
    /** Every field any request has, with a plausible value (the fields a request lacks are ignored by both encoders). */
    const requestFor = (sessionId: string, jobId: string) => ({
      sessionId, jobId, ...proveTriple, errorMessage: "refused", level: LogLevel.INFO, message: "refused", key: "refused", value: "refused",
      name: "refused", daHash: "local:localnet:" + "0".repeat(64), methodName: "merge", blockNumber: 1n, sequence: 1n, sequences: [1n],
      chain: "l2", proof: "refused", settlementChain: "l2", settlementTxHash: "0xrefused", stateDataAvailability: "refused",
      proofDataAvailability: "refused", dataAvailability: "refused", blockProof: "refused", serializedState: "refused",
      sequences1: [1n], sequences2: [2n], mergedSequences1: [1n], mergedSequences2: [2n], proofEventType: ProofEventType.PROOF_VERIFIED,
      cpuTime: 1n, settledAt: 1n, settlementTxIncludedInBlock: true
    })

    /** One answer, the same shape whichever client gave it. */
    const niceAnswer = (p: Promise<unknown>) =>
      p.then(
        (r) => answerOf(r as Record<string, unknown>),
        (e: unknown) => (e instanceof ClientError ? `status ${Status[e.code]}: ${e.details}` : `thrown ${String(e)}`)
      )
    const connectAnswer = (p: Promise<unknown>) =>
      p.then(
        (r) => answerOf(r as Record<string, unknown>),
        (e: unknown) => (e instanceof ConnectError ? `status ${Status[e.code as number]}: ${e.rawMessage}` : `thrown ${String(e)}`)
      )
    const answerOf = (r: Record<string, unknown>) => `success=${String(r["success"])}: ${String(r["message"] ?? "")}`

    /** Every RPC that names a job is scoped to it, except AgentMessage (agents log before their first job). */
    const jobScoped = CoordinatorService.methods
      .filter((m) => m.localName !== "agentMessage" && m.input.fields.some((field) => field.localName === "jobId"))
      .map((m) => m.localName)

    const sweep = async (sessionId: string, jobId: string) => {
      const nice = f.client as unknown as Record<string, (req: object) => Promise<unknown>>
      const clients = { socket: overSocket(f), tcp: overTcp(f) } as unknown as Record<string, Record<string, (req: object) => Promise<unknown>>>
      const rows: Array<{ rpc: string; nice: string; socket: string; tcp: string }> = []
      for (const rpc of rpcNames) {
        const req = requestFor(sessionId, jobId)
        rows.push({
          rpc,
          nice: await niceAnswer(nice[rpc]!(req)),
          socket: await connectAnswer(clients["socket"]![rpc]!(req)),
          tcp: await connectAnswer(clients["tcp"]![rpc]!(req))
        })
      }
      return rows
    }

    const expectRefusedAlike = (rows: Awaited<ReturnType<typeof sweep>>) => {
      for (const row of rows) {
        expect({ rpc: row.rpc, socket: row.socket, tcp: row.tcp }).toEqual({ rpc: row.rpc, socket: row.nice, tcp: row.nice })
        if (jobScoped.includes(row.rpc)) expect([row.rpc, row.nice]).not.toEqual([row.rpc, expect.stringMatching(/^success=true/)])
        expect(row.nice).not.toMatch(/^thrown|UNIMPLEMENTED|INTERNAL/)
      }
    }

    it("another session's job, a job nobody holds, a malformed session id", async () => {
      const mine = await f.holdJob()
      const other = await f.holdJob()
      const foreign = await sweep(other.sessionId, mine.jobId)
      expectRefusedAlike(foreign)
      // the job-scoped ones name the reason, in a message or a status
      for (const row of foreign.filter((r) => jobScoped.includes(r.rpc))) expect([row.rpc, row.nice]).toEqual([row.rpc, expect.stringMatching(/not held by session|PERMISSION_DENIED/)])
      expectRefusedAlike(await sweep(mine.sessionId, "snUnknownJob"))
      const malformed = await sweep("0x12", mine.jobId)
      expectRefusedAlike(malformed)
      for (const row of malformed) expect([row.rpc, row.nice]).toEqual([row.rpc, expect.stringMatching(/^status INVALID_ARGUMENT/)])
      // the job is still its holder's, untouched by the sweeps
      expect((await overSocket(f).getKV({ ...mine, key: "refused" })).success).toBe(false)
      expect((await f.client.completeJob(mine)).success).toBe(true)
    })

    it("a finished job (repeating the accepted CompleteJob is the one idempotent success)", async () => {
      const done = await f.holdJob()
      expect((await overTcp(f).completeJob(done)).success).toBe(true)
      const rows = await sweep(done.sessionId, done.jobId)
      expect(rows.find((r) => r.rpc === "completeJob")?.nice).toMatch(/^success=true/)
      expectRefusedAlike(rows.filter((r) => r.rpc !== "completeJob"))
    })

    it("none of the refused writes reached the chain", async () => {
      await f.idle()
      const json = await f.instanceJson()
      expect(json.kv.contents.map((e: { key: string }) => e.key)).not.toContain("refused")
      expect(json.metadata.contents.map((e: { key: string }) => e.key)).not.toContain("refused")
    })
  })

  it("maps Connect's codes one to one onto gRPC's (what the comparison above relies on)", () => {
    expect([Code.InvalidArgument, Code.NotFound, Code.PermissionDenied, Code.Unimplemented]).toEqual([
      Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.PERMISSION_DENIED, Status.UNIMPLEMENTED
    ])
  })
})
