import { ClientError, createChannel, createClient, Status } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { renderPrometheus } from "../../src/layers/Metrics.js"
import { Metric, MetricBoundaries } from "effect"
import { shortSecret } from "../../src/domain/redact.js"
import { makeJob, tripleA } from "../api/fixture.js"
import { startOps } from "./fixture.js"
import { parsePrometheus, sampleValue } from "./prometheus.js"

type Ops = Awaited<ReturnType<typeof startOps>>

describe("GET /metrics", () => {
  let ops: Ops
  let channel: ReturnType<typeof createChannel>
  let client: ReturnType<typeof createClient<typeof CoordinatorServiceDefinition>>
  beforeAll(async () => {
    ops = await startOps()
    channel = createChannel(ops.agentApi.socketUrl)
    client = createClient(CoordinatorServiceDefinition, channel)
  })
  afterAll(async () => {
    channel.close()
    await ops.close()
  })

  const scrape = async () => {
    const res = await ops.get("/metrics")
    expect(res.status).toBe(200)
    expect(res.contentType).toBe("text/plain; version=0.0.4; charset=utf-8")
    return parsePrometheus(res.text)
  }

  it("parses strictly and lists the whole metric set before anything happened", async () => {
    const m = await scrape()
    for (const [name, type] of [
      ["silvana_jobs", "gauge"],
      ["silvana_jobs_started_total", "counter"],
      ["silvana_jobs_completed_total", "counter"],
      ["silvana_jobs_failed_total", "counter"],
      ["silvana_agents_active", "gauge"],
      ["silvana_agent_permits_free", "gauge"],
      ["silvana_dispatch_latency_ms", "histogram"],
      ["silvana_container_start_ms", "histogram"],
      ["silvana_transaction_ops", "histogram"],
      ["silvana_gas_balance_mist", "gauge"],
      ["silvana_checkpoint_lag", "gauge"],
      ["silvana_replay_gaps_total", "counter"]
    ] as const) {
      expect(m.get(name)?.type, name).toBe(type)
    }
    expect(sampleValue(m, "silvana_agent_permits_free")).toBe(2)
  })

  it("counts real gRPC calls by method and code, with latency, and moves the job counters", async () => {
    const before = await scrape()
    const session = await ops.newSession(tripleA)
    const jobId = await ops.addStarted(makeJob(7, tripleA))
    const got = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: session.id })
    expect(got.job?.jobId).toBe(jobId)
    expect((await client.completeJob({ jobId, sessionId: session.id })).success).toBe(true)
    const bad = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: "nope" }).catch((e) => e)
    expect(bad).toBeInstanceOf(ClientError)
    expect((bad as ClientError).code).toBe(Status.INVALID_ARGUMENT)
    const unimpl = await client.getProof({ sessionId: session.id, blockNumber: 1n }).catch((e) => e)
    expect((unimpl as ClientError).code).toBe(Status.UNIMPLEMENTED)

    const after = await scrape()
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels)
    expect(delta("silvana_grpc_requests_total", { method: "GetJob", code: "OK" })).toBe(1)
    expect(delta("silvana_grpc_requests_total", { method: "GetJob", code: "INVALID_ARGUMENT" })).toBe(1)
    expect(delta("silvana_grpc_requests_total", { method: "CompleteJob", code: "OK" })).toBe(1)
    expect(delta("silvana_grpc_requests_total", { method: "GetProof", code: "UNIMPLEMENTED" })).toBe(1)
    expect(delta("silvana_grpc_request_duration_ms_count", { method: "GetJob" })).toBe(2)
    expect(sampleValue(after, "silvana_grpc_request_duration_ms_sum", { method: "CompleteJob" })).toBeGreaterThan(0)
    expect(delta("silvana_jobs_completed_total")).toBe(1)
    expect(delta("silvana_job_queue_wait_ms_count", { developer: "dev", agent: "adder", agent_method: "add" })).toBe(1)
    expect(delta("silvana_dispatch_latency_ms_count")).toBe(1)
    // store-derived gauges are current at scrape time
    expect(sampleValue(after, "silvana_jobs", { state: "completed" })).toBe(1)
    expect(sampleValue(after, "silvana_agents_active")).toBe(1)
    expect(sampleValue(after, "silvana_agent_permits_free")).toBe(1)
  })

  it("renders escapes and histogram buckets the parser accepts", () => {
    const c = Metric.counter("silvana_test_escapes_total", { description: 'odd "help"\nline', incremental: true })
    c.unsafeUpdate(3, [{ key: "path", value: 'a"b\\c\nd' } as never])
    const h = Metric.histogram("silvana_test_hist_ms", MetricBoundaries.fromIterable([1, 10]), "h")
    for (const v of [0.5, 5, 50, 50]) h.unsafeUpdate(v, [])
    const text = renderPrometheus(Metric.unsafeSnapshot())
    const m = parsePrometheus(text)
    expect(sampleValue(m, "silvana_test_escapes_total", { path: 'a"b\\c\nd' })).toBe(3)
    expect(sampleValue(m, "silvana_test_hist_ms_bucket", { le: "1" })).toBe(1)
    expect(sampleValue(m, "silvana_test_hist_ms_bucket", { le: "10" })).toBe(2)
    expect(sampleValue(m, "silvana_test_hist_ms_bucket", { le: "+Inf" })).toBe(4)
    expect(sampleValue(m, "silvana_test_hist_ms_sum")).toBe(105.5)
    // Effect's own fiber metrics are not part of the exposition
    expect([...m.keys()].every((n) => n.startsWith("silvana_"))).toBe(true)
  })

  it("the parser rejects what Prometheus would reject", () => {
    expect(() => parsePrometheus("x 1\n")).toThrow(/no TYPE/)
    expect(() => parsePrometheus("# TYPE x counter\nx{a=b} 1\n")).toThrow(/quoted/)
    expect(() => parsePrometheus("# TYPE x counter\nx 1")).toThrow(/newline/)
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(/cumulative/)
  })
})

describe("GET /health and /ready", () => {
  let ops: Ops
  beforeAll(async () => {
    ops = await startOps()
  })
  afterAll(async () => {
    await ops.close()
  })

  it("answers 200 with the standard checks, 503 naming a failing check, 200 again when it recovers", async () => {
    const { Effect } = await import("effect")
    const { Health } = await import("../../src/layers/Health.js")
    const ok = await ops.get("/health")
    expect(ok.status).toBe(200)
    const body = JSON.parse(ok.text)
    expect(body.status).toBe("ok")
    expect(Object.keys(body.checks).sort()).toEqual(["grpc", "store"])
    expect(body.checks.grpc.details.socket_listening).toBe(true)
    expect(body.checks.grpc.details.tcp_listening).toBe(true)
    expect((await ops.get("/ready")).status).toBe(200)

    let up = true
    await ops.run(
      Effect.flatMap(Health, (h) =>
        h.register("probe", Effect.sync(() => ({ healthy: up, details: { up } })))
      )
    )
    up = false
    // served from the last refresh: the change shows once the checks have run again
    await ops.refresh()
    const down = await ops.get("/health")
    expect(down.status).toBe(503)
    expect(JSON.parse(down.text)).toMatchObject({ status: "unhealthy", failing: ["probe"] })
    // a check that fails or dies is unhealthy with its message, not a 500
    await ops.run(Effect.flatMap(Health, (h) => h.register("broken", Effect.fail(new Error("disk on fire")))))
    await ops.refresh()
    const broken = JSON.parse((await ops.get("/health")).text)
    expect(broken.failing.sort()).toEqual(["broken", "probe"])
    expect(broken.checks.broken.details.error).toBe("disk on fire")
    await ops.run(Effect.flatMap(Health, (h) => h.unregister("broken")))
    up = true
    await ops.refresh()
    expect((await ops.get("/health")).status).toBe(200)
  })

  it("serves the JSON endpoints the CLI reads, and refuses bad queries", async () => {
    const session = await ops.newSession(tripleA)
    await ops.addStarted(makeJob(3, tripleA))
    const agents = JSON.parse((await ops.get("/v1/agents")).text)
    expect(agents.agents).toEqual([expect.objectContaining({ session_id: shortSecret(session.id), developer: "dev", agent: "adder", agent_method: "add", held_jobs: 0 })])
    const jobs = JSON.parse((await ops.get("/v1/jobs?state=started&limit=5")).text)
    expect(jobs.total).toBe(1)
    expect(jobs.jobs[0]).toMatchObject({ state: "started", job_sequence: "3", developer: "dev" })
    expect((await ops.get("/v1/jobs?state=bogus")).status).toBe(400)
    expect((await ops.get("/v1/jobs?limit=0")).status).toBe(400)
    expect((await ops.get("/nope")).status).toBe(404)
    const status = JSON.parse((await ops.get("/v1/status")).text)
    expect(status).toMatchObject({ healthy: true, ready: true, agents: { active: 1, max: 2 } })
    expect(status.jobs.started).toBe(1)
  })
})
