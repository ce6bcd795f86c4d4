/**
 * The agent API's transport limits: AgentMessage per-session rate limit (excess dropped and
 * counted, the other sessions unaffected), a session's own socket refusing other sessions, the
 * shared socket and TCP refusing a bound session.
 */
import { Effect } from "effect"
import { createChannel, createClient } from "nice-grpc"
import { describe, expect, it } from "vitest"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { makeRateLimiter } from "../../src/layers/AgentApi/rateLimit.js"
import { AgentApi } from "../../src/layers/AgentApi.js"
import { Sessions } from "../../src/layers/Sessions.js"
import { startApi, tripleA } from "../api/fixture.js"

describe("AgentMessage rate limit", () => {
  it("a token bucket: bursts up to capacity, then the rate; the first drop of each burst is flagged", () => {
    const l = makeRateLimiter({ capacity: 3, perSecond: 1 })
    const at0 = [0, 0, 0, 0, 0].map(() => l.take("a", 0))
    expect(at0.map((r) => r.allowed)).toEqual([true, true, true, false, false])
    expect(at0.map((r) => r.firstDrop)).toEqual([false, false, false, true, false])
    expect(l.take("b", 0).allowed).toBe(true)
    expect(l.take("a", 1000)).toEqual({ allowed: true, firstDrop: false })
    expect(l.take("a", 1000)).toEqual({ allowed: false, firstDrop: true })
  })

  it("over the real socket: a flooding session's excess is dropped, another session still logs", async () => {
    const api = await startApi({ logRateLimit: { capacity: 5, perSecond: 0.001 } })
    const channel = createChannel(api.socketUrl)
    const client = createClient(CoordinatorServiceDefinition, channel)
    try {
      const [a, b] = await Promise.all([api.run(Effect.flatMap(Sessions, (s) => s.create(tripleA))), api.run(Effect.flatMap(Sessions, (s) => s.create(tripleA)))])
      const answers = []
      for (let i = 0; i < 20; i++) answers.push(await client.agentMessage({ sessionId: a!.id, jobId: "", level: 2, message: `line ${i}` }))
      expect(answers.filter((r) => r.message === "logged")).toHaveLength(5)
      expect(answers.filter((r) => r.message.startsWith("dropped"))).toHaveLength(15)
      expect((await client.agentMessage({ sessionId: b!.id, jobId: "", level: 2, message: "other" })).message).toBe("logged")
    } finally {
      channel.close()
      await api.close()
    }
  })
})

describe("bound sessions on the agent API", () => {
  it("its own socket serves only it; the shared socket and TCP refuse it until its agent's address is known", async () => {
    const api = await startApi()
    const scope = await api.run(Effect.flatMap(Sessions, (s) => Effect.all([s.create(tripleA, { bound: true }), s.create(tripleA, { bound: true })])))
    const [mine, other] = scope
    const own = await api.run(Effect.scoped(Effect.flatMap(AgentApi, (a) => a.openSessionSocket(mine.id))))
    // the scope closed: the socket is gone again
    expect(own).toMatch(/\.sessions\/[0-9a-f]{16}\.sock$/)
    await api.run(Effect.flatMap(Sessions, (s) => Effect.zipRight(s.bind(mine.id, { addresses: ["10.9.9.9"] }), s.bind(other.id, { addresses: [] }))))
    const ask = async (address: string, id: string) => {
      const channel = createChannel(address)
      try {
        return await createClient(CoordinatorServiceDefinition, channel).getJob({ sessionId: id, ...tripleA })
      } finally {
        channel.close()
      }
    }
    const shared = await ask(api.socketUrl, mine.id)
    expect(shared).toMatchObject({ success: false, message: expect.stringMatching(/is bound to its agent: call on the agent's own socket/) })
    const tcp = await ask(api.tcpUrl, mine.id)
    expect(tcp).toMatchObject({ success: false, message: expect.stringMatching(/bound to its agent; calls from 127\.0\.0\.1 are not accepted/) })
    // the session's own socket, open for the test
    await api.run(
      Effect.scoped(
        Effect.gen(function* () {
          const file = yield* Effect.flatMap(AgentApi, (a) => a.openSessionSocket(mine.id))
          const ok = yield* Effect.promise(() => ask(`unix://${file}`, mine.id))
          expect(ok.success).toBe(true)
          const wrong = yield* Effect.promise(() => ask(`unix://${file}`, other.id))
          expect(wrong).toMatchObject({ success: false, message: expect.stringMatching(/this socket belongs to another session/) })
        })
      )
    )
    await api.close()
  })
})
