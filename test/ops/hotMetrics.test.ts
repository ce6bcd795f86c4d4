/**
 * The agent API's per-call metric updates are kept as plain numbers and handed to their Effect
 * metrics when the metrics are read: a reader that flushes first sees every update, a full
 * histogram buffer hands its values over by itself, and counters keep their sums exact.
 */
import { Effect, Metric } from "effect"
import { describe, expect, it } from "vitest"
import * as Metrics from "../../src/layers/Metrics.js"
import { parsePrometheus, sampleValue } from "./prometheus.js"

const latencyCount = (method: string) =>
  Effect.runSync(Metric.value(Metric.tagged(Metrics.grpcLatency, "method", method))).count
const callCount = (method: string, code: string) =>
  Effect.runSync(Metric.value(Metric.tagged(Metric.tagged(Metrics.grpcRequests, "method", method), "code", code))).count

describe("hot-path metrics", () => {
  it("are in the exposition once read, each call counted once by method and code", async () => {
    const method = `HotCounted${Math.random().toString(36).slice(2)}`
    for (let i = 0; i < 5; i++) Metrics.grpcRequest(method, 0, 1.5)
    Metrics.grpcRequest(method, 5, 0.2)
    const m = parsePrometheus(await Effect.runPromise(Metrics.prometheusText))
    expect(sampleValue(m, "silvana_grpc_requests_total", { method, code: "OK" })).toBe(5)
    expect(sampleValue(m, "silvana_grpc_requests_total", { method, code: "NOT_FOUND" })).toBe(1)
    expect(sampleValue(m, "silvana_grpc_request_duration_ms_count", { method })).toBe(6)
    expect(sampleValue(m, "silvana_grpc_request_duration_ms_sum", { method })).toBeCloseTo(7.7, 6)
    // A second read adds nothing: what was handed over is not handed over again.
    const again = parsePrometheus(await Effect.runPromise(Metrics.prometheusText))
    expect(sampleValue(again, "silvana_grpc_requests_total", { method, code: "OK" })).toBe(5)
    expect(sampleValue(again, "silvana_grpc_request_duration_ms_count", { method })).toBe(6)
  })

  it("hand a full histogram buffer over without waiting for a read", () => {
    const method = `HotBuffered${Math.random().toString(36).slice(2)}`
    for (let i = 0; i < 1500; i++) Metrics.grpcRequest(method, 0, 1)
    // 1,024 observations went over when the buffer filled; the rest wait for a read.
    expect(latencyCount(method)).toBe(1024)
    expect(callCount(method, "OK")).toBe(0)
    Metrics.unsafeFlushHot()
    expect(latencyCount(method)).toBe(1500)
    expect(callCount(method, "OK")).toBe(1500)
  })

  it("job totals include reports made since the last read", async () => {
    const before = await Effect.runPromise(Metrics.jobTotals)
    Metrics.unsafeJobReported("complete")
    Metrics.unsafeJobReported("complete")
    Metrics.unsafeJobReported("fail")
    const after = await Effect.runPromise(Metrics.jobTotals)
    expect(after.completed - before.completed).toBe(2)
    expect(after.failed - before.failed).toBe(1)
  })

  it("queue waits of equal triples share one series, whichever object carries the triple", async () => {
    const developer = `dev${Math.random().toString(36).slice(2)}`
    Metrics.unsafeJobWaited({ developer, agent: "a", agentMethod: "m" }, 10)
    Metrics.unsafeJobWaited({ developer, agent: "a", agentMethod: "m" }, 30)
    const m = parsePrometheus(await Effect.runPromise(Metrics.prometheusText))
    const labels = { developer, agent: "a", agent_method: "m" }
    expect(sampleValue(m, "silvana_job_queue_wait_ms_count", labels)).toBe(2)
    expect(sampleValue(m, "silvana_job_queue_wait_ms_sum", labels)).toBe(40)
  })
})
