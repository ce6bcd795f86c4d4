/**
 * The coordination package's job rules on the localnet, through SuiGrpcClient over native gRPC
 * only (the clock is moved with the handle's `chain.advanceClock`, never by sleeping): the job
 * objects and AppInstance JSON, the start race between two senders, retries until `Failed`,
 * periodic jobs, terminate, multicall, and decoding of every event with the shared BCS layouts.
 */
import { bcs } from "@mysten/sui/bcs"
import { SuiGrpcClient } from "@mysten/sui/grpc"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Transaction } from "@mysten/sui/transactions"
import { deriveDynamicFieldID } from "@mysten/sui/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AgentMethod, Job, jobsEvents, OperationFailedEvent, type JobsEventName } from "../../src/chain/moveTypes.js"
import { coordinationCall, createJobs, makeSuiClient, seedAgentMethod } from "../../src/localnet/client.js"
import { startLocalnet, type LocalnetHandle } from "../../src/localnet/index.js"

let net: LocalnetHandle
let client: SuiGrpcClient
let admin: Ed25519Keypair
let coordinator: Ed25519Keypair
let pkg: string
let app: string
const METHOD = "prove"
const seen = new Map<string, number>()

interface Ev {
  name: string
  bcs: Uint8Array
}

/** Signs and executes `build(tx)` as `signer`; returns its events (decoding each one it can). */
const run = async (signer: Ed25519Keypair, build: (tx: Transaction) => void) => {
  const tx = new Transaction()
  build(tx)
  const r = await client.signAndExecuteTransaction({ transaction: tx, signer, include: { effects: true, events: true } })
  const t = r.$kind === "Transaction" ? r.Transaction : r.FailedTransaction
  const events: Ev[] = (t.events ?? []).map((e) => ({ name: e.eventType.split("::").pop()!, bcs: e.bcs }))
  for (const e of events) {
    const schema = (jobsEvents as Record<string, { parse(b: Uint8Array): unknown; serialize(v: never): { toBytes(): Uint8Array } }>)[e.name]
    if (schema) {
      // the shared layouts decode the node's bytes and encode them back identically
      expect(Array.from(schema.serialize(schema.parse(e.bcs) as never).toBytes())).toEqual(Array.from(e.bcs))
      seen.set(e.name, (seen.get(e.name) ?? 0) + 1)
    }
  }
  return { ok: r.$kind === "Transaction", events, effects: t.effects!, status: t.status }
}

const parse = <N extends JobsEventName>(events: Ev[], name: N) =>
  events.filter((e) => e.name === name).map((e) => jobsEvents[name].parse(e.bcs) as ReturnType<(typeof jobsEvents)[N]["parse"]>)

const instanceJson = async (): Promise<any> =>
  (await client.core.getObject({ objectId: app, include: { json: true } })).object.json

const jobObject = async (seq: bigint) => {
  const json = await instanceJson()
  const fieldId = deriveDynamicFieldID(json.jobs.jobs.id, "0x2::dynamic_object_field::Wrapper<u64>", bcs.u64().serialize(seq).toBytes())
  const { objects } = await client.core.getObjects({ objectIds: [fieldId], include: { json: true } })
  const field = objects[0]!
  if (field instanceof Error) return undefined
  const jobId = (field.json as { value: string }).value
  const { object } = await client.core.getObject({ objectId: jobId, include: { content: true, json: true } })
  return { id: jobId, job: Job.parse(object.content!), json: object.json as any, owner: object.owner }
}

const newJob = async (opts: { intervalMs?: number } = {}): Promise<bigint> => {
  const { jobSequences } = await createJobs(net.manifest, { count: 1, method: METHOD, data: new Uint8Array([7, 7]), ...opts })
  return jobSequences[0]!
}

beforeAll(async () => {
  net = await startLocalnet({ port: 0, checkpointMs: "per-transaction" })
  client = makeSuiClient(net.manifest.grpcUrl)
  admin = Ed25519Keypair.fromSecretKey(net.manifest.keys.admin)
  coordinator = Ed25519Keypair.fromSecretKey(net.manifest.keys.coordinator)
  pkg = net.manifest.packageId
  app = net.manifest.appInstanceId
  await seedAgentMethod(net.manifest, { developer: "dev", agent: "agent", method: "agent-prove", appMethod: METHOD, image: "example/prove:1", sha256: "abc", memoryGb: 4, cpus: 2 })
})

afterAll(async () => {
  await net?.close()
})

describe("jobs on chain", () => {
  it("stores created jobs as ObjectTable entries and renders the AppInstance by Sui's JSON rules", async () => {
    const { jobSequences } = await createJobs(net.manifest, { count: 3, method: METHOD, data: (i) => new Uint8Array([i]) })
    expect(jobSequences).toHaveLength(3)
    const json = await instanceJson()
    expect(json.jobs.jobs.id).toMatch(/^0x[0-9a-f]{64}$/)
    expect(BigInt(json.jobs.jobs.size)).toBeGreaterThanOrEqual(3n)
    expect(typeof json.jobs.next_job_sequence).toBe("string")
    expect(json.jobs.max_attempts).toBe(3)
    for (const s of jobSequences) expect(json.jobs.pending_jobs.contents).toContain(String(s))
    const dev = json.jobs.pending_jobs_indexes.contents.find((e: any) => e.key === "dev")
    const methodSet = dev.value.contents.find((e: any) => e.key === "agent").value.contents.find((e: any) => e.key === "agent-prove").value
    for (const s of jobSequences) expect(methodSet.contents).toContain(String(s))
    expect(json.methods.contents.find((e: any) => e.key === METHOD).value.agent_method).toBe("agent-prove")

    const j = (await jobObject(jobSequences[1]!))!
    expect(j.job.job_sequence).toBe(String(jobSequences[1]))
    expect(j.job.developer).toBe("dev")
    expect(j.job.agent_method).toBe("agent-prove")
    expect(j.job.app_instance_method).toBe(METHOD)
    expect(j.job.app_instance).toBe(app.slice(2))
    expect(j.job.status.$kind).toBe("Pending")
    expect(j.job.data).toEqual(Uint8Array.of(1))
    expect(j.json.data).toBe("AQ==") // vector<u8> renders as base64
    expect(j.json.status).toEqual({ "@variant": "Pending" })
    expect(j.owner.$kind).toBe("ObjectOwner")

    // the same entries are listed by ListDynamicFields on the table
    const fields = await client.core.listDynamicFields({ parentId: json.jobs.jobs.id })
    expect(fields.dynamicFields.length).toBeGreaterThanOrEqual(3)
    expect(fields.dynamicFields.some((f: any) => f.childId === j.id || f.valueType?.endsWith("::jobs::Job"))).toBe(true)
  })

  it("registers the agent method in the registry (developer → agent → method as dynamic object fields)", async () => {
    const registry = (await client.core.getObject({ objectId: net.manifest.registryId, include: { json: true } })).object.json as any
    const key = "0x2::dynamic_object_field::Wrapper<0x1::string::String>"
    const devField = deriveDynamicFieldID(registry.developers.id, key, bcs.string().serialize("dev").toBytes())
    const devId = ((await client.core.getObject({ objectId: devField, include: { json: true } })).object.json as any).value
    const developer = (await client.core.getObject({ objectId: devId, include: { json: true } })).object.json as any
    const agentField = deriveDynamicFieldID(developer.agents.id, key, bcs.string().serialize("agent").toBytes())
    const agentId = ((await client.core.getObject({ objectId: agentField, include: { json: true } })).object.json as any).value
    const agent = (await client.core.getObject({ objectId: agentId, include: { json: true, content: true } })).object
    const method = (agent.json as any).methods.contents.find((e: any) => e.key === "agent-prove").value
    expect(method).toEqual({ docker_image: "example/prove:1", docker_sha256: "abc", min_memory_gb: 4, min_cpu_cores: 2, requires_tee: false })
    // AgentMethod BCS matches the shared layout
    expect(AgentMethod.parse(AgentMethod.serialize(method).toBytes())).toEqual(method)
  })

  it("start race between two senders: exactly one true, the other false with OperationFailedEvent", async () => {
    const seq = await newJob()
    const start = (signer: Ed25519Keypair) => run(signer, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
    const [a, b] = await Promise.all([start(admin), start(coordinator)])
    expect(a.ok && b.ok).toBe(true)
    const winners = [a, b].filter((r) => parse(r.events, "JobStartedEvent").length === 1)
    const losers = [a, b].filter((r) => r.events.some((e) => e.name === "OperationFailedEvent"))
    expect(winners).toHaveLength(1)
    expect(losers).toHaveLength(1)
    const failed = OperationFailedEvent.parse(losers[0]!.events.find((e) => e.name === "OperationFailedEvent")!.bcs)
    expect(failed.operation).toBe("start")
    expect(failed.reason).toBe("wrong_status")
    expect(failed.entity_id).toBe(String(seq))
    const started = parse(winners[0]!.events, "JobStartedEvent")[0]!
    expect(started.job_sequence).toBe(String(seq))
    const updated = parse(winners[0]!.events, "JobUpdatedEvent")[0]!
    expect(updated.status.$kind).toBe("Running")
    expect(updated.attempts).toBe(1)
    expect((await jobObject(seq))!.job.status.$kind).toBe("Running")
    expect((await instanceJson()).jobs.pending_jobs.contents).not.toContain(String(seq))

    // a start of a job that does not exist is also a quiet false
    const none = await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, 9_999_999n))
    expect(OperationFailedEvent.parse(none.events[0]!.bcs).reason).toBe("job_not_found")
  })

  it("completes a one-time job: JobCompleted + JobDeleted, the object and table entry disappear", async () => {
    const seq = await newJob()
    const sizeBefore = BigInt((await instanceJson()).jobs.jobs.size)
    await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
    const done = await run(coordinator, (tx) => coordinationCall.completeAppJob(tx, pkg, app, seq))
    expect(parse(done.events, "JobCompletedEvent")[0]!.coordinator).toBe(coordinator.toSuiAddress())
    expect(parse(done.events, "JobDeletedEvent")[0]!.job_sequence).toBe(String(seq))
    expect(await jobObject(seq)).toBeUndefined()
    expect(BigInt((await instanceJson()).jobs.jobs.size)).toBe(sizeBefore - 1n)
    const deleted = done.effects.changedObjects.filter((c) => c.idOperation === "Deleted")
    expect(deleted).toHaveLength(2) // the Job and its dynamic field
    // completing again: false + OperationFailedEvent, not an abort
    const again = await run(coordinator, (tx) => coordinationCall.completeAppJob(tx, pkg, app, seq))
    expect(again.ok).toBe(true)
    expect(OperationFailedEvent.parse(again.events[0]!.bcs).reason).toBe("job_not_found")
  })

  it("fails with retries (due 60 s later) until the job is Failed at max_attempts", async () => {
    const seq = await newJob()
    for (let attempt = 1; attempt <= 3; attempt++) {
      const s = await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
      expect(parse(s.events, "JobStartedEvent")).toHaveLength(1)
      const before = net.chain.now()
      const f = await run(coordinator, (tx) => coordinationCall.failAppJob(tx, pkg, app, seq, `boom ${attempt}`))
      const failed = parse(f.events, "JobFailedEvent")[0]!
      expect(failed.attempts).toBe(attempt)
      expect(failed.error).toBe(`boom ${attempt}`)
      const { job } = (await jobObject(seq))!
      if (attempt < 3) {
        expect(job.status.$kind).toBe("Pending")
        expect(parse(f.events, "JobUpdatedEvent")[0]!.status.$kind).toBe("Pending")
        const due = BigInt(job.next_scheduled_at!)
        expect(due).toBeGreaterThanOrEqual(BigInt(before) + 60_000n)
        expect((await instanceJson()).jobs.pending_jobs.contents).toContain(String(seq))
        net.chain.advanceClock(60_000)
      } else {
        expect(job.status).toEqual({ Failed: { pos0: "boom 3" }, $kind: "Failed" })
        const json = await instanceJson()
        expect(json.jobs.failed_jobs_index.contents).toContain(String(seq))
        expect(json.jobs.pending_jobs.contents).not.toContain(String(seq))
        expect(BigInt(json.jobs.failed_jobs_count)).toBeGreaterThanOrEqual(1n)
        expect((await jobObject(seq))!.json.status).toEqual({ "@variant": "Failed", pos0: "boom 3" })
      }
    }
    const s = await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
    expect(OperationFailedEvent.parse(s.events[0]!.bcs).reason).toBe("wrong_status")
  })

  it("periodic jobs: not due yet → false, rescheduled on complete, start again once due", async () => {
    const seq = await newJob({ intervalMs: 60_000 })
    const first = await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
    expect(parse(first.events, "JobStartedEvent")).toHaveLength(1)
    const done = await run(coordinator, (tx) => coordinationCall.completeAppJob(tx, pkg, app, seq))
    const resched = parse(done.events, "JobRescheduledEvent")[0]!
    expect(BigInt(resched.next_scheduled_at) - BigInt(resched.rescheduled_at)).toBe(60_000n)
    expect(parse(done.events, "JobDeletedEvent")).toHaveLength(0)
    const { job } = (await jobObject(seq))!
    expect(job.status.$kind).toBe("Pending")
    expect(job.attempts).toBe(0)
    expect(job.interval_ms).toBe("60000")

    const early = await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
    expect(OperationFailedEvent.parse(early.events[0]!.bcs).reason).toBe("not_due_yet")
    net.chain.advanceClock(60_000)
    const due = await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
    expect(parse(due.events, "JobStartedEvent")).toHaveLength(1)

    // failing a periodic job at max attempts reschedules it instead of failing it
    await run(coordinator, (tx) => coordinationCall.failAppJob(tx, pkg, app, seq, "e1"))
    for (let i = 2; i <= 3; i++) {
      net.chain.advanceClock(60_000)
      await run(coordinator, (tx) => coordinationCall.startAppJob(tx, pkg, app, seq))
      const f = await run(coordinator, (tx) => coordinationCall.failAppJob(tx, pkg, app, seq, `e${i}`))
      if (i === 3) expect(parse(f.events, "JobRescheduledEvent")).toHaveLength(1)
    }
    expect((await jobObject(seq))!.job.status.$kind).toBe("Pending")
  })

  it("rejects periodic intervals below one minute with OperationFailedEvent and no job", async () => {
    const before = (await instanceJson()).jobs.next_job_sequence
    const r = await run(admin, (tx) =>
      coordinationCall.createAppJob(tx, pkg, app, { method: METHOD, intervalMs: 1_000n, nextScheduledAt: 0n })
    )
    expect(r.ok).toBe(true)
    expect(OperationFailedEvent.parse(r.events[0]!.bcs).reason).toBe("Interval must be >= 60000 ms")
    expect((await instanceJson()).jobs.next_job_sequence).toBe(before)
    const unknown = await run(admin, (tx) => coordinationCall.createAppJob(tx, pkg, app, { method: "no-such-method" }))
    expect(OperationFailedEvent.parse(unknown.events[0]!.bcs).reason).toBe("Method not found in app instance")
  })

  it("terminates a job in any state", async () => {
    const c = await run(admin, (tx) =>
      coordinationCall.createAppJob(tx, pkg, app, {
        method: METHOD, description: "merge", blockNumber: 5n, sequences: [1n, 2n], sequences1: [1n], sequences2: [2n], data: new Uint8Array([9])
      })
    )
    const created = parse(c.events, "JobCreatedEvent")[0]!
    expect(created).toMatchObject({
      description: "merge", block_number: "5", sequences: ["1", "2"], sequences1: ["1"], sequences2: ["2"], data: Uint8Array.of(9),
      developer: "dev", agent: "agent", agent_method: "agent-prove", app_instance: app.slice(2), app_instance_method: METHOD
    })
    expect(created.status.$kind).toBe("Pending")
    const seq = BigInt(created.job_sequence)
    const t = await run(coordinator, (tx) => coordinationCall.terminateAppJob(tx, pkg, app, seq))
    expect(parse(t.events, "JobTerminatedEvent")[0]!.job_sequence).toBe(String(seq))
    expect(parse(t.events, "JobDeletedEvent")).toHaveLength(1)
    expect(await jobObject(seq)).toBeUndefined()
    expect((await instanceJson()).jobs.pending_jobs.contents).not.toContain(String(seq))
  })

  it("multicall applies complete → fail → terminate → start within the memory budget", async () => {
    const { jobSequences: s } = await createJobs(net.manifest, { count: 6, method: METHOD, perTransaction: 3 })
    await run(coordinator, (tx) => {
      coordinationCall.startAppJob(tx, pkg, app, s[0]!)
      coordinationCall.startAppJob(tx, pkg, app, s[1]!)
    })
    const r = await run(coordinator, (tx) =>
      coordinationCall.multicall(tx, pkg, app, {
        complete: [s[0]!, s[2]!],
        fail: [{ seq: s[1]!, error: "oom" }],
        terminate: [s[3]!],
        start: [s[4]!, s[5]!, s[1]!],
        startMemoryBytes: [600n, 600n, 100n],
        availableMemoryBytes: 1_000n
      })
    )
    const m = parse(r.events, "MulticallExecutedEvent")[0]!
    expect(m.coordinator).toBe(coordinator.toSuiAddress())
    expect(m.complete_results).toEqual([true, false]) // s[2] was never started
    expect(m.fail_results).toEqual([true])
    expect(m.terminate_results).toEqual([true])
    // s[4] takes 600 of 1000, s[5] does not fit, s[1] (back to Pending after its failure) fits in 400
    expect(m.start_results).toEqual([true, false, true])
    expect(m.start_jobs).toEqual([s[4]!, s[5]!, s[1]!].map(String))

    const bad = await run(coordinator, (tx) => {
      tx.moveCall({
        target: `${pkg}::app_instance::multicall_app_job_operations`,
        arguments: [
          tx.object(app), tx.pure.vector("u64", []), tx.pure.vector("u64", [1n]), tx.pure.vector("string", []),
          tx.pure.vector("u64", []), tx.pure.vector("u64", []), tx.pure.vector("u64", []), tx.pure.u64(0), tx.object.clock()
        ]
      })
      tx.setGasBudget(50_000_000)
    }).catch((e: Error) => e)
    // the SDK's own resolution dry-runs it and reports the abort in jobs::multicall_job_operations
    expect(String(bad instanceof Error ? bad.message : JSON.stringify(bad.status))).toMatch(/multicall_job_operations|abort/i)
  })

  it("decoded every jobs event type with the shared layouts", () => {
    for (const name of Object.keys(jobsEvents)) expect(seen.get(name) ?? 0, name).toBeGreaterThan(0)
  })
})

describe("restart from the state file", () => {
  it("keeps objects, jobs, keys, chain id, checkpoints and coin versions across a restart", async () => {
    const fs = await import("node:fs")
    const os = await import("node:os")
    const path = await import("node:path")
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localnet-state-"))
    const stateFile = path.join(dir, "state.json")
    const first = await startLocalnet({ port: 0, checkpointMs: "per-transaction", stateFile })
    let firstOpen = true
    let restarted: LocalnetHandle | undefined
    try {
      await seedAgentMethod(first.manifest, { developer: "dev", agent: "agent", method: "m", image: "img:1" })
      const { jobSequences } = await createJobs(first.manifest, { count: 4, method: "m", data: new Uint8Array([1, 2]) })
      const c1 = makeSuiClient(first.manifest.grpcUrl)
      const start = new Transaction()
      coordinationCall.startAppJob(start, first.manifest.packageId, first.manifest.appInstanceId, jobSequences[0]!)
      const started = await c1.signAndExecuteTransaction({ transaction: start, signer: Ed25519Keypair.fromSecretKey(first.manifest.keys.coordinator) })
      expect(started.$kind).toBe("Transaction")
      const before = {
        info: (await c1.ledgerService.getServiceInfo({})).response,
        app: (await c1.core.getObject({ objectId: first.manifest.appInstanceId, include: { json: true } })).object,
        coins: (await c1.core.listCoins({ owner: Ed25519Keypair.fromSecretKey(first.manifest.keys.admin).toSuiAddress() })).objects
      }
      await first.close()
      firstOpen = false

      restarted = await startLocalnet({ port: 0, checkpointMs: "per-transaction", stateFile })
      const m2 = restarted.manifest
      expect(m2.chainId).toBe(first.manifest.chainId)
      expect(m2.keys).toEqual(first.manifest.keys)
      expect(m2.appInstanceId).toBe(first.manifest.appInstanceId)
      const c2 = makeSuiClient(m2.grpcUrl)
      const info = (await c2.ledgerService.getServiceInfo({})).response
      expect(info.checkpointHeight).toBeGreaterThanOrEqual(before.info.checkpointHeight!)
      const app2 = (await c2.core.getObject({ objectId: m2.appInstanceId, include: { json: true } })).object
      expect(app2.version).toBe(before.app.version)
      expect(app2.json).toEqual(before.app.json)
      const coins2 = (await c2.core.listCoins({ owner: Ed25519Keypair.fromSecretKey(m2.keys.admin).toSuiAddress() })).objects
      expect(coins2.map((c) => [c.objectId, c.version, c.digest, c.balance]).sort()).toEqual(before.coins.map((c) => [c.objectId, c.version, c.digest, c.balance]).sort())
      const tx = (await c2.core.getTransaction({ digest: started.Transaction!.digest, include: { events: true } })).Transaction!
      expect(tx.events!.some((e) => e.eventType.endsWith("::jobs::JobStartedEvent"))).toBe(true)

      // the restarted chain keeps executing: complete the running job and create one more
      const done = new Transaction()
      coordinationCall.completeAppJob(done, m2.packageId, m2.appInstanceId, jobSequences[0]!)
      const r = await c2.signAndExecuteTransaction({ transaction: done, signer: Ed25519Keypair.fromSecretKey(m2.keys.coordinator), include: { events: true } })
      expect(r.Transaction!.events!.map((e) => e.eventType.split("::").pop())).toEqual(["JobCompletedEvent", "JobDeletedEvent"])
      const more = await createJobs(m2, { count: 1, method: "m" })
      expect(more.jobSequences[0]).toBe(jobSequences[3]! + 1n)
    } finally {
      if (firstOpen) await first.close()
      await restarted?.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
