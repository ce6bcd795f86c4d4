/**
 * The job-scoped RPCs over real sockets against a localnet: each answers for the job its session
 * holds, refuses everything else in the deployed answer style, and leaves the chain state it
 * promises (read back through SuiGrpcClient, decoded with src/chain's layouts).
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { createClient as connectClient } from "@connectrpc/connect"
import { createGrpcTransport } from "@connectrpc/connect-node"
import { bcs } from "@mysten/sui/bcs"
import { deriveDynamicFieldID } from "@mysten/sui/utils"
import { ClientError, Status } from "nice-grpc"
import { describe, expect, it } from "vitest"
import { decodeProofCalculation, ProofStatus } from "../../src/chain/appTypes.js"
import { CoordinatorService } from "../gen/silvana/coordinator/v1/coordinator_pb.js"
import { type AppApiFixture } from "./appFixture.js"
import { appApiForSuite } from "./appSuite.js"

const statusOf = (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => (e instanceof ClientError ? Status[e.code] : String(e)))

const proofCalculationOnChain = async (f: AppApiFixture, block: bigint) => {
  const json = await f.instanceJson()
  const fieldId = deriveDynamicFieldID(json.proof_calculations.id, "0x2::dynamic_object_field::Wrapper<u64>", bcs.u64().serialize(block).toBytes())
  const field = await f.sui.core.getObject({ objectId: fieldId, include: { json: true } })
  const child = await f.sui.core.getObject({ objectId: (field.object.json as { value: string }).value, include: { content: true } })
  return decodeProofCalculation(child.object.content)
}

describe("job-scoped RPCs on a localnet", () => {
  const f = appApiForSuite()

  it("SetKV / GetKV / DeleteKV write the instance's kv on chain and read it back", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const set = await f.client.setKV({ jobId, sessionId, key: "colour", value: "blue" })
    expect(set.success).toBe(true)
    expect(set.txHash).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/)
    expect((await f.instanceJson()).kv.contents).toEqual([{ key: "colour", value: "blue" }])
    expect(await f.client.getKV({ jobId, sessionId, key: "colour" })).toMatchObject({ success: true, value: "blue" })
    expect((await f.client.setKV({ jobId, sessionId, key: "colour", value: "red" })).success).toBe(true)
    expect((await f.client.getKV({ jobId, sessionId, key: "colour" })).value).toBe("red")
    const del = await f.client.deleteKV({ jobId, sessionId, key: "colour" })
    expect(del.success).toBe(true)
    expect((await f.instanceJson()).kv.contents).toEqual([])
    const gone = await f.client.getKV({ jobId, sessionId, key: "colour" })
    expect(gone.success).toBe(false)
    expect(gone.value).toBeUndefined()
  })

  it("AddMetadata is write-once; GetMetadata answers a key or the instance's fields", async () => {
    const { sessionId, jobId } = await f.holdJob()
    expect((await f.client.addMetadata({ jobId, sessionId, key: "version", value: "1" })).success).toBe(true)
    const again = await f.client.addMetadata({ jobId, sessionId, key: "version", value: "2" })
    expect(again.success).toBe(false)
    expect(again.message).toMatch(/write-once/)
    expect((await f.instanceJson()).metadata.contents).toEqual([{ key: "version", value: "1" }])
    const one = await f.client.getMetadata({ jobId, sessionId, key: "version" })
    expect(one.success).toBe(true)
    expect(one.metadata?.value).toBe("1")
    expect(one.metadata?.appInstanceId).toBe(f.net.manifest.appInstanceId)
    const all = await f.client.getMetadata({ jobId, sessionId })
    expect(all.metadata?.value).toBeUndefined()
    expect(all.metadata?.silvanaAppName).toBe("silvana-localnet")
    expect(all.metadata?.blockNumber).toBe(1n)
    expect((await f.client.getMetadata({ jobId, sessionId, key: "missing" })).success).toBe(false)
  })

  it("refuses a foreign session, a job not held, a finished job and bad input", async () => {
    const mine = await f.holdJob()
    const other = await f.holdJob()
    // another session's job
    const foreign = await f.client.setKV({ jobId: mine.jobId, sessionId: other.sessionId, key: "k", value: "v" })
    expect(foreign).toMatchObject({ success: false, txHash: "" })
    expect(foreign.message).toMatch(/not held by session/)
    expect((await f.client.getKV({ jobId: mine.jobId, sessionId: other.sessionId, key: "k" })).success).toBe(false)
    // a job nobody holds
    expect((await f.client.getMetadata({ jobId: "snUnknownJob", sessionId: mine.sessionId })).message).toMatch(/unknown job/)
    // status-style RPCs answer with codes
    const proof = { blockNumber: 1n, sequences: [1n], mergedSequences1: [], mergedSequences2: [], proof: "p", cpuTime: 1n }
    expect(await statusOf(f.client.submitProof({ ...proof, jobId: mine.jobId, sessionId: other.sessionId }))).toBe("PERMISSION_DENIED")
    expect(await statusOf(f.client.submitProof({ ...proof, jobId: "snUnknownJob", sessionId: mine.sessionId }))).toBe("NOT_FOUND")
    expect(await statusOf(f.client.submitProof({ ...proof, sequences: [], jobId: mine.jobId, sessionId: mine.sessionId }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.submitProof({ ...proof, sequences: [2n, 1n], jobId: mine.jobId, sessionId: mine.sessionId }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.rejectProof({ blockNumber: 1n, sequences: [1n], jobId: mine.jobId, sessionId: other.sessionId }))).toBe("PERMISSION_DENIED")
    // bad input
    expect(await statusOf(f.client.setKV({ jobId: mine.jobId, sessionId: mine.sessionId, key: "", value: "v" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.setKV({ jobId: mine.jobId, sessionId: "0x12", key: "k", value: "v" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.setKV({ jobId: mine.jobId, sessionId: mine.sessionId, key: "k", value: "v".repeat(9000) }))).toBe("INVALID_ARGUMENT")
    // after completion
    expect((await f.client.completeJob({ jobId: mine.jobId, sessionId: mine.sessionId })).success).toBe(true)
    const late = await f.client.setKV({ jobId: mine.jobId, sessionId: mine.sessionId, key: "late", value: "v" })
    expect(late.success).toBe(false)
    expect(await statusOf(f.client.submitProof({ ...proof, jobId: mine.jobId, sessionId: mine.sessionId }))).toBe("PERMISSION_DENIED")
    await f.idle()
    expect((await f.instanceJson()).kv.contents.map((e: { key: string }) => e.key)).not.toContain("late")
  })

  it("SubmitProof stores the proof, GetProof reads it back, and the chain gets it once", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const proof = `proof-of-1:${"x".repeat(1000)}`
    const sub = await f.client.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [1n], mergedSequences1: [], mergedSequences2: [], proof, cpuTime: 42n })
    expect(sub.success).toBe(true)
    expect(sub.daHash).toMatch(/^local:localnet:[0-9a-f]{64}$/)
    expect(await f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [1n] })).toMatchObject({ success: true, proof })
    expect(await f.client.readDataAvailability({ sessionId, daHash: sub.daHash })).toMatchObject({ success: true, data: proof })
    await f.idle()
    const pc = await proofCalculationOnChain(f, 1n)
    const onChain = pc.proofs.filter((p) => p.sequences.join(",") === "1")
    expect(onChain).toHaveLength(1)
    expect(onChain[0]).toMatchObject({ status: ProofStatus.Calculated, daHash: sub.daHash, jobId })
    expect((await f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [9n] })).success).toBe(false)
    const block = await f.client.getBlockProof({ sessionId, jobId, blockNumber: 1n })
    expect(block.success).toBe(false)
    expect(block.message).toMatch(/not proved/)
  })

  it("a merge job reads both halves and submits the merged proof; RejectProof returns them", async () => {
    const prover = await f.holdJob()
    for (const s of [3n, 4n]) {
      const r = await f.client.submitProof({ sessionId: prover.sessionId, jobId: prover.jobId, blockNumber: 1n, sequences: [s], mergedSequences1: [], mergedSequences2: [], proof: `p${s}`, cpuTime: 1n })
      expect(r.success).toBe(true)
    }
    await f.idle()
    const merger = await f.holdJob("merge")
    const halves = await Promise.all([3n, 4n].map((s) => f.client.getProof({ sessionId: merger.sessionId, jobId: merger.jobId, blockNumber: 1n, sequences: [s] })))
    expect(halves.map((h) => h.proof)).toEqual(["p3", "p4"])
    const merged = await f.client.submitProof({
      sessionId: merger.sessionId, jobId: merger.jobId, blockNumber: 1n, sequences: [3n, 4n], mergedSequences1: [3n], mergedSequences2: [4n], proof: "p3+p4", cpuTime: 5n
    })
    expect(merged.success).toBe(true)
    await f.idle()
    let pc = await proofCalculationOnChain(f, 1n)
    const status = (k: string) => pc.proofs.find((p) => p.sequences.join(",") === k)?.status
    expect([status("3"), status("4"), status("3,4")]).toEqual([ProofStatus.Used, ProofStatus.Used, ProofStatus.Calculated])
    const rejected = await f.client.rejectProof({ sessionId: merger.sessionId, jobId: merger.jobId, blockNumber: 1n, sequences: [3n, 4n] })
    expect(rejected.success).toBe(true)
    expect(rejected.txHash).not.toBe("")
    pc = await proofCalculationOnChain(f, 1n)
    expect([status("3"), status("4"), status("3,4")]).toEqual([ProofStatus.Calculated, ProofStatus.Calculated, ProofStatus.Rejected])
  })

  it("CreateAppJob returns the job sequence the chain assigned", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const before = BigInt((await f.instanceJson()).jobs.next_job_sequence)
    const r = await f.client.createAppJob({ sessionId, jobId, methodName: "merge", sequences: [1n, 2n], sequences1: [1n], sequences2: [2n], data: Buffer.from("d"), blockNumber: 1n })
    expect(r.success).toBe(true)
    expect(r.jobSequence).toBe(before)
    const json = await f.instanceJson()
    expect(json.jobs.pending_jobs.contents).toContain(String(before))
    const unknown = await f.client.createAppJob({ sessionId, jobId, methodName: "nope", sequences: [], sequences1: [], sequences2: [], data: Buffer.alloc(0) })
    expect(unknown).toMatchObject({ success: false, jobSequence: 0n })
  })

  it("a corrupt stored blob fails loudly and is never served", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const sub = await f.client.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [7n], mergedSequences1: [], mergedSequences2: [], proof: "genuine proof", cpuTime: 1n })
    const hash = sub.daHash.split(":")[2]!
    const file = path.join(f.dir, "da", hash.slice(0, 2), hash)
    fs.writeFileSync(file, "genuine prooF")
    expect(await statusOf(f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [7n] }))).toBe("INTERNAL")
    expect(await statusOf(f.client.readDataAvailability({ sessionId, daHash: sub.daHash }))).toBe("INTERNAL")
  })

  it("works unchanged from a @connectrpc/connect-node client over the socket", async () => {
    const c = connectClient(CoordinatorService, createGrpcTransport({
      baseUrl: "http://localhost",
      nodeOptions: { createConnection: () => net.createConnection(f.api.socketPath) }
    }))
    const { sessionId, jobId } = await f.holdJob()
    expect((await c.setKV({ jobId, sessionId, key: "connect", value: "yes" })).success).toBe(true)
    expect((await c.getKV({ jobId, sessionId, key: "connect" })).value).toBe("yes")
    const sub = await c.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [11n], proof: "via connect", cpuTime: 1n })
    expect((await c.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [11n] })).proof).toBe("via connect")
    expect(sub.daHash).toMatch(/^local:localnet:/)
  })
})
