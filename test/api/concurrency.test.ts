import { createChannel, createClient } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Triple } from "../../src/domain/ids.js"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { makeJob, startApi } from "./fixture.js"

describe("concurrency", () => {
  let api: Awaited<ReturnType<typeof startApi>>
  beforeAll(async () => {
    api = await startApi()
  }, 600_000)
  afterAll(async () => {
    await api.close()
  })

  it("200 sessions calling GetJob at once over 1,000 jobs: every job handed out exactly once", async () => {
    const triples = [0, 1, 2, 3].map((i) => Triple.make({ developer: "dev", agent: "adder", agentMethod: `m${i}` }))
    const expected = new Set<string>()
    for (let i = 0; i < 1000; i++) expected.add(await api.addStarted(makeJob(1000 + i, triples[i % 4]!)))
    const sessions = await Promise.all(Array.from({ length: 200 }, (_, i) => api.newSession(triples[i % 4]!)))
    // several channels over the socket and TCP, as many agent containers would
    const channels = [
      ...Array.from({ length: 4 }, () => createChannel(api.socketUrl)),
      ...Array.from({ length: 4 }, () => createChannel(api.tcpUrl))
    ]
    const clients = channels.map((c) => createClient(CoordinatorServiceDefinition, c))
    const handed: Array<{ session: string; jobId: string }> = []
    await Promise.all(
      sessions.map(async (s, i) => {
        const client = clients[i % clients.length]!
        const t = s.triple
        for (;;) {
          const res = await client.getJob({ developer: t.developer, agent: t.agent, agentMethod: t.agentMethod, sessionId: s.id })
          expect(res.success).toBe(true)
          if (res.job === undefined) return
          expect(res.job.agentMethod).toBe(t.agentMethod)
          handed.push({ session: s.id, jobId: res.job.jobId })
          const done = await client.completeJob({ jobId: res.job.jobId, sessionId: s.id })
          expect(done.success).toBe(true)
        }
      })
    )
    for (const c of channels) c.close()
    expect(handed).toHaveLength(1000)
    expect(new Set(handed.map((h) => h.jobId))).toEqual(expected)
    const reports = await api.reports()
    expect(reports).toHaveLength(1000)
    // each report comes from the session that received the job
    const holder = new Map(handed.map((h) => [h.jobId, h.session]))
    for (const r of reports) expect(r.sessionId).toBe(holder.get(r.jobId))
    // the work was spread over many sessions, not served by a few
    expect(new Set(handed.map((h) => h.session)).size).toBeGreaterThan(100)
  }, 600_000)
})
