import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import { createChannel, createClient } from "nice-grpc"
import { describe, expect, it } from "vitest"
import { shortSecret } from "../../src/domain/redact.js"
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
        session_id: shortSecret(session.id),
        developer: "dev",
        agent: "adder",
        agent_method: "add",
        job_id: jobId,
        job_sequence: "11"
      })
      const [complete] = byName("AgentApi.CompleteJob")
      expect(complete?.attributes).toMatchObject({ session_id: shortSecret(session.id), job_id: jobId, report: "complete", job_sequence: "11" })
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

describe("tracing the daemon", () => {
  it("exports the spans of a job's path through the embedded demo (start, session, agent, GetJob, complete, settle)", async () => {
    const { mkdtempSync } = await import("node:fs")
    const os = await import("node:os")
    const path = await import("node:path")
    const { Fiber, Logger, LogLevel } = await import("effect")
    const { startDaemon } = await import("../../src/programs/start.js")
    const { freePort, waitFor } = await import("./processes.js")
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-ops-trace-"))
    const exporter = new InMemorySpanExporter()
    const env = {
      STATE_DIR: path.join(dir, "state"),
      GRPC_SOCKET_PATH: path.join(dir, "c.sock"),
      GRPC_TCP_ADDRESS: "127.0.0.1:0",
      HTTP_ADDRESS: `127.0.0.1:${await freePort()}`,
      AGENT_RUNTIME: "process"
    }
    const fiber = Effect.runFork(
      startDaemon.pipe(
        Effect.provide(Config.layerFromEnv(env)),
        Effect.provide(Tracing.layerExporter(exporter)),
        Logger.withMinimumLogLevel(process.env["TEST_LOGS"] === undefined ? LogLevel.None : LogLevel.Info)
      )
    )
    try {
      const spans = await waitFor("a completed job's settlement in the trace", 60_000, async () => {
        const all = exporter.getFinishedSpans()
        const completed = all.filter((s) => s.name === "AgentApi.CompleteJob" && s.attributes["report"] === "complete")
        return completed.length > 0 && all.some((s) => s.name === "Settlement.complete") ? all : undefined
      })
      const names = new Set(spans.map((s) => s.name))
      for (const n of ["Settlement.start", "Sessions.create", "AgentRuntime.start", "AgentApi.GetJob", "AgentApi.CompleteJob", "Settlement.complete"]) {
        expect(names, n).toContain(n)
      }
      // one job, followed through its attributes: handed to a session whose agent was started for it
      const complete = spans.find((s) => s.name === "AgentApi.CompleteJob" && s.attributes["report"] === "complete")!
      const jobId = complete.attributes["job_id"]
      const sessionId = complete.attributes["session_id"]
      const getJob = spans.find((s) => s.name === "AgentApi.GetJob" && s.attributes["job_id"] === jobId)
      expect(getJob?.attributes["session_id"]).toBe(sessionId)
      expect(getJob?.attributes["app_instance"]).toBe(complete.attributes["app_instance"])
      expect(spans.some((s) => s.name === "AgentRuntime.start" && s.attributes["session_id"] === sessionId)).toBe(true)
    } finally {
      await Effect.runPromise(Fiber.interrupt(fiber))
    }
  }, 90_000)
})
