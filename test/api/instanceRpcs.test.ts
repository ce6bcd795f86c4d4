/**
 * GetAppInstance, RetrieveSecret and ProofEvent over real sockets against a localnet: each answers
 * for the job its session holds only, in the deployed answer style (success=false for the first
 * two, gRPC statuses for ProofEvent), and GetAppInstance answers what the chain holds.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { randomBytes } from "node:crypto"
import { createClient as connectClient } from "@connectrpc/connect"
import { createGrpcTransport } from "@connectrpc/connect-node"
import { Effect, Metric } from "effect"
import { ClientError, Status } from "nice-grpc"
import { describe, expect, it } from "vitest"
import { ProofEventType } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import * as Metrics from "../../src/layers/Metrics.js"
import { makeSecretsStore } from "../../src/layers/Secrets.js"
import { CoordinatorService } from "../gen/silvana/coordinator/v1/coordinator_pb.js"
import { appApiForSuite } from "./appSuite.js"

const statusOf = (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => (e instanceof ClientError ? Status[e.code] : String(e)))

describe("GetAppInstance, RetrieveSecret, ProofEvent on a localnet", () => {
  const f = appApiForSuite()

  it("GetAppInstance answers the whole AppInstance as the chain has it", async () => {
    const { sessionId, jobId } = await f.holdJob()
    expect((await f.client.setKV({ jobId, sessionId, key: "seen", value: "yes" })).success).toBe(true)
    const r = await f.client.getAppInstance({ jobId, sessionId })
    expect(r.success).toBe(true)
    const a = r.appInstance!
    const json = await f.instanceJson()
    expect(a.id).toBe(f.net.manifest.appInstanceId)
    expect(a.silvanaAppName).toBe(json.silvana_app_name)
    expect(a.kv).toMatchObject({ seen: "yes" })
    expect(a.methods["merge"]).toEqual({ developer: "dev", agent: "agent", agentMethod: "merge" })
    expect(Object.keys(a.methods).sort()).toEqual(json.methods.contents.map((e: { key: string }) => e.key).sort())
    expect(a.admin).toBe(json.admin)
    for (const [field, key] of [
      ["sequence", "sequence"], ["blockNumber", "block_number"], ["previousBlockTimestamp", "previous_block_timestamp"],
      ["previousBlockLastSequence", "previous_block_last_sequence"], ["lastProvedBlockNumber", "last_proved_block_number"],
      ["lastSettledBlockNumber", "last_settled_block_number"], ["lastSettledSequence", "last_settled_sequence"],
      ["lastPurgedSequence", "last_purged_sequence"], ["minTimeBetweenBlocks", "min_time_between_blocks"],
      ["createdAt", "created_at"], ["updatedAt", "updated_at"]
    ] as const) {
      expect([field, a[field]]).toEqual([field, BigInt(json[key])])
    }
    expect(a.isPaused).toBe(json.isPaused === true)
    // refusals: success=false, no instance
    const other = await f.holdJob()
    expect(await f.client.getAppInstance({ jobId, sessionId: other.sessionId })).toMatchObject({ success: false, appInstance: undefined })
    expect((await f.client.getAppInstance({ jobId: "snUnknownJob", sessionId })).message).toMatch(/unknown job/)
    expect(await statusOf(f.client.getAppInstance({ jobId, sessionId: "0x1" }))).toBe("INVALID_ARGUMENT")
    expect((await f.client.completeJob({ jobId, sessionId })).success).toBe(true)
    expect((await f.client.getAppInstance({ jobId, sessionId })).success).toBe(false)
  })

  it("RetrieveSecret resolves the job's own scope, most specific first; sk_ names at the agent level", async () => {
    const store = makeSecretsStore(f.dir, f.secretsKey)
    const instance = f.net.manifest.appInstanceId
    const put = (scope: Parameters<typeof store.set>[0], v: string) => Effect.runPromise(store.set(scope, v))
    await put({ developer: "dev", agent: "agent", name: "db" }, "agent-level")
    await put({ developer: "dev", agent: "agent", name: "api" }, "agent-level-api")
    await put({ developer: "dev", agent: "agent", app: "silvana-localnet", name: "api" }, "app-level-api")
    await put({ developer: "dev", agent: "agent", app: "silvana-localnet", appInstance: instance, name: "db" }, "instance-db")
    await put({ developer: "dev", agent: "agent", app: "silvana-localnet", name: "sk_wallet" }, "app-level-key (never answered)")
    await put({ developer: "dev", agent: "agent", name: "sk_wallet" }, "agent-level-key")
    await put({ developer: "dev", agent: "other", name: "theirs" }, "other agent's")
    await put({ developer: "dev", agent: "agent", app: "silvana-localnet", appInstance: `0x${"ab".repeat(32)}`, name: "elsewhere" }, "another instance's")
    await put({ developer: "dev", agent: "agent", app: "another-app", name: "otherapp" }, "another app's")

    const { sessionId, jobId } = await f.holdJob()
    const get = (name: string) => f.client.retrieveSecret({ jobId, sessionId, name })
    expect(await get("db")).toMatchObject({ success: true, secretValue: "instance-db" })
    expect(await get("api")).toMatchObject({ success: true, secretValue: "app-level-api" })
    expect(await get("sk_wallet")).toMatchObject({ success: true, secretValue: "agent-level-key" })
    for (const name of ["theirs", "elsewhere", "otherapp", "missing"]) {
      const r = await get(name)
      expect([name, r.success, r.secretValue]).toEqual([name, false, undefined])
    }
    // the CLI's changes are seen at once (the file is read on each call)
    await Effect.runPromise(store.remove({ developer: "dev", agent: "agent", app: "silvana-localnet", appInstance: instance, name: "db" }))
    expect((await get("db")).secretValue).toBe("agent-level")

    // refusals
    const other = await f.holdJob()
    const foreign = await f.client.retrieveSecret({ jobId, sessionId: other.sessionId, name: "db" })
    expect(foreign).toMatchObject({ success: false, secretValue: undefined })
    expect(foreign.message).toMatch(/not held by session/)
    expect((await f.client.retrieveSecret({ jobId: "snUnknownJob", sessionId, name: "db" })).success).toBe(false)
    expect(await statusOf(f.client.retrieveSecret({ jobId, sessionId, name: "" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.retrieveSecret({ jobId, sessionId, name: "x".repeat(300) }))).toBe("INVALID_ARGUMENT")
    expect((await f.client.completeJob({ jobId, sessionId })).success).toBe(true)
    expect(await get("api")).toMatchObject({ success: false, secretValue: undefined })
  })

  it("RetrieveSecret never answers from a file written under another key, nor a tampered entry", async () => {
    const file = path.join(f.dir, "secrets.json")
    const original = fs.readFileSync(file, "utf8")
    try {
      const { sessionId, jobId } = await f.holdJob()
      expect((await f.client.retrieveSecret({ jobId, sessionId, name: "api" })).success).toBe(true)
      // an entry moved to another scope does not open there
      const parsed = JSON.parse(original) as { entries: Array<Record<string, unknown>> }
      const victim = parsed.entries.find((e) => e["name"] === "theirs")!
      victim["agent"] = "agent"
      fs.writeFileSync(file, JSON.stringify(parsed))
      const moved = await f.client.retrieveSecret({ jobId, sessionId, name: "theirs" })
      expect(moved).toMatchObject({ success: false, secretValue: undefined })
      expect(moved.message).toMatch(/cannot be read/)
      // another key
      await Effect.runPromise(makeSecretsStore(path.join(f.dir, "other"), randomBytes(32)).set({ developer: "dev", agent: "agent", name: "api" }, "x"))
      fs.copyFileSync(path.join(f.dir, "other", "secrets.json"), file)
      const wrongKey = await f.client.retrieveSecret({ jobId, sessionId, name: "api" })
      expect(wrongKey).toMatchObject({ success: false, secretValue: undefined })
    } finally {
      fs.writeFileSync(file, original, { mode: 0o600 })
    }
  })

  it("the secrets file is 0600 and holds no value in clear", () => {
    const file = path.join(f.dir, "secrets.json")
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const text = fs.readFileSync(file, "utf8")
    for (const v of ["agent-level", "app-level-api", "agent-level-key", "other agent's"]) expect(text).not.toContain(v)
  })

  it("ProofEvent records the event for the held job; refusals are gRPC statuses", async () => {
    const { sessionId, jobId } = await f.holdJob()
    const counter = Metrics.proofEvents.pipe(Metric.tagged("type", "verified"))
    const before = (await Effect.runPromise(Metric.value(counter))).count
    const ev = { jobId, sessionId, dataAvailability: "local:localnet:abc", blockNumber: 1n, proofEventType: ProofEventType.PROOF_VERIFIED, sequences: [1n, 2n], mergedSequences1: [1n], mergedSequences2: [2n] }
    expect(await f.client.proofEvent(ev)).toMatchObject({ success: true })
    expect((await Effect.runPromise(Metric.value(counter))).count).toBe(before + 1)
    const other = await f.holdJob()
    expect(await statusOf(f.client.proofEvent({ ...ev, sessionId: other.sessionId }))).toBe("PERMISSION_DENIED")
    expect(await statusOf(f.client.proofEvent({ ...ev, jobId: "snUnknownJob" }))).toBe("NOT_FOUND")
    expect(await statusOf(f.client.proofEvent({ ...ev, jobId: "" }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.proofEvent({ ...ev, proofEventType: ProofEventType.PROOF_EVENT_TYPE_UNSPECIFIED }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.proofEvent({ ...ev, sequences: [2n, 1n] }))).toBe("INVALID_ARGUMENT")
    expect(await statusOf(f.client.proofEvent({ ...ev, dataAvailability: "d".repeat(600) }))).toBe("INVALID_ARGUMENT")
    expect((await Effect.runPromise(Metric.value(counter))).count).toBe(before + 1)
    expect((await f.client.completeJob({ jobId, sessionId })).success).toBe(true)
    expect(await statusOf(f.client.proofEvent(ev))).toBe("PERMISSION_DENIED")
  })

  it("works unchanged from a @connectrpc/connect-node client over TCP", async () => {
    const [host, port] = f.tcpUrl.split(":")
    const c = connectClient(CoordinatorService, createGrpcTransport({
      baseUrl: "http://localhost",
      nodeOptions: { createConnection: () => net.createConnection(Number(port), host) }
    }))
    const { sessionId, jobId } = await f.holdJob()
    const r = await c.getAppInstance({ jobId, sessionId })
    expect(r.appInstance?.methods["merge"]?.agentMethod).toBe("merge")
    expect((await c.retrieveSecret({ jobId, sessionId, name: "sk_wallet" })).secretValue).toBe("agent-level-key")
    expect((await c.proofEvent({ jobId, sessionId, blockNumber: 1n, proofEventType: 3, sequences: [1n] })).success).toBe(true)
  })

  it("calls of one instance made while its call transaction is in flight share the next one", async () => {
    const { sessionId, jobId } = await f.holdJob()
    f.net.faults.setLatencyMs(1_500)
    try {
      // one call, then eight more spaced out while its transaction is still executing
      const calls = [f.client.setKV({ jobId, sessionId, key: "k0", value: "v" })]
      for (let i = 1; i <= 8; i++) {
        await new Promise((r) => setTimeout(r, 100))
        calls.push(f.client.setKV({ jobId, sessionId, key: `k${i}`, value: "v" }))
      }
      const all = await Promise.all(calls)
      expect(all.every((r) => r.success)).toBe(true)
      // the first call's transaction, then the others together: not one transaction per free gas coin
      expect(new Set(all.map((r) => r.txHash)).size).toBeLessThanOrEqual(3)
    } finally {
      f.net.faults.setLatencyMs(0)
    }
  })
})
