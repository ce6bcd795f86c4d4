/**
 * The Agent SDK against the coordinator's real AgentApi (real sockets): the job loop, refusals
 * as typed errors, logging without a job, and an unreachable coordinator.
 */
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AgentClient, CoordinatorRefused, CoordinatorUnavailable } from "../../src/index.js"
import { makeJob, startApi, tripleA, tripleB } from "../api/fixture.js"

let api: Awaited<ReturnType<typeof startApi>>

beforeAll(async () => {
  api = await startApi()
})
afterAll(async () => {
  await api?.close()
})

const clientFor = async (via: "socket" | "tcp", triple = tripleA) => {
  const session = await api.newSession(triple)
  const env = {
    SESSION_ID: session.id,
    SESSION_PRIVATE_KEY: Redacted.value(session.privateKey),
    DEVELOPER: triple.developer,
    AGENT: triple.agent,
    AGENT_METHOD: triple.agentMethod,
    ...(via === "socket" ? { COORDINATOR_SOCKET: api.options.socketPath } : { COORDINATOR_URL: `http://${api.tcpUrl}` })
  }
  return { session, client: AgentClient.fromEnv(env) }
}

describe("AgentClient", () => {
  for (const via of ["socket", "tcp"] as const) {
    it(`takes, completes and fails jobs over the ${via}`, async () => {
      const { session, client } = await clientFor(via, tripleB)
      try {
        await client.log("info", "hello before any job")
        const first = await api.addStarted(makeJob(via === "socket" ? 500 : 510, tripleB, "[1,2]"))
        const second = await api.addStarted(makeJob(via === "socket" ? 501 : 511, tripleB, "x"))
        const j1 = await client.getJob()
        const j2 = await client.getJob()
        expect(new Set([j1?.jobId, j2?.jobId])).toEqual(new Set([first, second]))
        await client.log("debug", "working", j1!.jobId)
        await client.completeJob(first)
        await client.failJob(second, "bad data")
        expect(await client.getJob()).toBeUndefined()
        const mine = (await api.reports()).filter((r) => r.sessionId === session.id)
        expect(mine.map((r) => [r.kind, r.jobId, r.error])).toEqual(
          expect.arrayContaining([
            ["complete", first, undefined],
            ["fail", second, "bad data"]
          ])
        )
      } finally {
        client.close()
      }
    })
  }

  it("terminates a job it holds", async () => {
    const { session, client } = await clientFor("socket", tripleB)
    try {
      const jobId = await api.addStarted(makeJob(520, tripleB, "[1]"))
      expect((await client.getJob())?.jobId).toBe(jobId)
      await client.terminateJob(jobId)
      const mine = (await api.reports()).filter((r) => r.sessionId === session.id)
      expect(mine.map((r) => [r.kind, r.jobId])).toEqual([["terminate", jobId]])
      // It is settled now: failing it afterwards is refused.
      await expect(client.failJob(jobId, "late")).rejects.toBeInstanceOf(CoordinatorRefused)
    } finally {
      client.close()
    }
  })

  it("turns success=false into CoordinatorRefused", async () => {
    const { client } = await clientFor("socket")
    try {
      const error = await client.completeJob("snNotAJobOfMine").catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CoordinatorRefused)
      expect((error as CoordinatorRefused).rpc).toBe("CompleteJob")
    } finally {
      client.close()
    }
    // A session the coordinator does not know cannot take jobs either.
    const stranger = AgentClient.fromEnv({
      SESSION_ID: `0x${"9".repeat(64)}`,
      DEVELOPER: tripleA.developer,
      AGENT: tripleA.agent,
      AGENT_METHOD: tripleA.agentMethod,
      COORDINATOR_SOCKET: api.options.socketPath
    })
    try {
      await expect(stranger.getJob()).rejects.toBeInstanceOf(CoordinatorRefused)
    } finally {
      stranger.close()
    }
  })

  it("reports an unreachable coordinator as CoordinatorUnavailable", async () => {
    const client = AgentClient.fromEnv(
      {
        SESSION_ID: `0x${"9".repeat(64)}`,
        DEVELOPER: "d",
        AGENT: "a",
        AGENT_METHOD: "m",
        COORDINATOR_SOCKET: "/nonexistent/silvana.sock"
      },
      { callTimeoutMs: 2000 }
    )
    try {
      const error = await client.getJob().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CoordinatorUnavailable)
      expect((error as Error).message).toMatch(/^GetJob failed/)
    } finally {
      client.close()
    }
  })
})
