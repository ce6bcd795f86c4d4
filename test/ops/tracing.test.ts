import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import { createChannel, createClient } from "nice-grpc"
import { describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { Config } from "../../src/layers/Config.js"
import { Tracing, tracesUrl } from "../../src/layers/Tracing.js"
import { makeJob, tripleA } from "../api/fixture.js"
import { startOps } from "./fixture.js"

describe("tracing", () => {
  it("exports the agent API spans of one job's path with its session and job attributes", async () => {
    const exporter = new InMemorySpanExporter()
    const ops = await startOps({ exporter })
    const channel = createChannel(ops.agentApi.socketUrl)
    try {
      const client = createClient(CoordinatorServiceDefinition, channel)
      const session = await ops.newSession(tripleA)
      const jobId = await ops.addStarted(makeJob(11, tripleA))
      const got = await client.getJob({ developer: "dev", agent: "adder", agentMethod: "add", sessionId: session.id })
      expect(got.job?.jobId).toBe(jobId)
      await client.agentMessage({ sessionId: session.id, jobId, level: 2, message: "working" })
      expect((await client.completeJob({ jobId, sessionId: session.id })).success).toBe(true)

      const spans = exporter.getFinishedSpans()
      const byName = (n: string) => spans.filter((s) => s.name === n)
      expect(byName("Sessions.create")).toHaveLength(1)
      const [getJob] = byName("AgentApi.GetJob")
      expect(getJob?.attributes).toMatchObject({
        session_id: session.id,
        developer: "dev",
        agent: "adder",
        agent_method: "add",
        job_id: jobId,
        job_sequence: "11"
      })
      const [complete] = byName("AgentApi.CompleteJob")
      expect(complete?.attributes).toMatchObject({ session_id: session.id, job_id: jobId, report: "complete", job_sequence: "11" })
      expect(byName("AgentApi.AgentMessage")).toHaveLength(1)
      // the resource names the service, so a collector can tell coordinators apart
      expect(getJob?.resource.attributes["service.name"]).toBe("silvana-coordinator")
      // one trace per RPC: the spans of the job are linked by the job_id attribute
      const ofJob = spans.filter((s) => s.attributes["job_id"] === jobId).map((s) => s.name)
      expect(ofJob).toEqual(["AgentApi.GetJob", "AgentApi.CompleteJob"])
    } finally {
      channel.close()
      await ops.close()
    }
  })

  it("exports over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, and installs nothing when it is unset", async () => {
    const received: Array<{ url: string; body: string }> = []
    const server = http.createServer((req, res) => {
      let body = ""
      req.on("data", (c) => (body += c))
      req.on("end", () => {
        received.push({ url: req.url ?? "", body })
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as AddressInfo).port
    try {
      const traced = (env: Record<string, string>) =>
        Effect.runPromise(
          Effect.gen(function* () {
            return yield* Effect.tracer
          }).pipe(
            Effect.withSpan("probe.span", { attributes: { job_id: "sn2probe" } }),
            Effect.provide(Tracing.layer.pipe(Layer.provide(Config.layerFromEnv(env))))
          )
        )
      const plain = await Effect.runPromise(Effect.tracer)
      expect(await traced({})).toBe(plain)
      expect(received).toHaveLength(0)
      const tracer = await traced({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` })
      expect(tracer).not.toBe(plain)
      // the layer's scope closed: the batch was flushed to the collector
      expect(received.map((r) => r.url)).toEqual(["/v1/traces"])
      expect(received[0]!.body).toContain("probe.span")
      expect(received[0]!.body).toContain("sn2probe")
      expect(received[0]!.body).toContain("silvana-coordinator")
    } finally {
      server.close()
    }
    expect(tracesUrl("http://collector:4318")).toBe("http://collector:4318/v1/traces")
    expect(tracesUrl("http://collector:4318/")).toBe("http://collector:4318/v1/traces")
    expect(tracesUrl("http://collector:4318/v1/traces")).toBe("http://collector:4318/v1/traces")
  })
})
