/**
 * A daemon with SESSION_AUTH=strict (embedded localnet, demo jobs, the example agent on the process
 * runtime as uid 65533): its agents prove every call with their session key (an HMAC under the
 * session's call key, as the daemon tells them: SESSION_CALL_PROOF=hmac), so jobs complete and no
 * agent call is refused. A caller holding a live session id is refused on every path the proof
 * guards: unsigned, signed or MACed with another key, stale, replayed; with the session's own
 * (stolen) key the proof passes and the session binding still refuses a caller that is not the agent.
 */
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { ClientError, createChannel, createClient, Metadata, Status } from "nice-grpc"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AgentMessageRequest, CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"
import { sessionSigner } from "../../src/sdk/index.js"
import { parsePrometheus, sampleValue } from "../ops/prometheus.js"
import { type Child, get, startDaemon, waitFor } from "../ops/processes.js"
import { environs } from "./environs.js"

const isRoot = process.getuid?.() === 0
const AGENT_MESSAGE = "/silvana.coordinator.v1.CoordinatorService/AgentMessage"

describe.skipIf(!isRoot)("a daemon with SESSION_AUTH=strict", () => {
  let daemon: Child
  let base: string
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    ;({ child: daemon, base, env } = await startDaemon("silvana-strict-", { AGENT_PROCESS_USER: "65533", SESSION_AUTH: "strict" }, 180_000))
  }, 200_000)

  afterAll(async () => {
    await daemon?.stop()
  })

  const metrics = async () => parsePrometheus((await get(base, "/metrics")).text)

  it("its agents' signed calls are served and jobs complete; stolen ids are refused unsigned, with another key, stale or replayed", async () => {
    await waitFor("jobs completed by signing agents", 120_000, async () => (sampleValue(await metrics(), "silvana_jobs_completed_total") >= 2 ? true : undefined))
    // no call of the daemon's own agents was refused for its signature
    const unauthenticatedBefore = [...(await metrics()).values()]
      .flatMap((f) => f.samples)
      .filter((s) => s.name === "silvana_grpc_requests_total" && s.labels["code"] === "UNAUTHENTICATED")
    expect(unauthenticatedBefore).toEqual([])

    // an agent of this daemon running now; a settle agent when there is one (it holds its job
    // longest, so its session is the likeliest to outlive the calls below)
    const liveAgent = (except?: string) =>
      waitFor("a live agent of this daemon", 60_000, async () => {
        const mine = environs("SESSION_PRIVATE_KEY=").filter((p) => p.env["COORDINATOR_SOCKET"]?.startsWith(env["GRPC_SOCKET_PATH"]!) === true && p.env["SESSION_ID"] !== except)
        return mine.find((p) => p.env["AGENT_METHOD"] === "settle") ?? mine[0]
      })
    const agent = await liveAgent()
    const sessionId = agent.env["SESSION_ID"]!
    const tcp = await waitFor("the TCP port", 5000, async () => {
      const line = daemon.output().split("\n").find((l) => l.includes('"agent API listening"'))
      return line === undefined ? undefined : (JSON.parse(line) as { tcp: string }).tcp
    })
    const channel = createChannel(tcp)
    const client = createClient(CoordinatorServiceDefinition, channel)
    const request = { sessionId, level: 2, message: "from a thief", jobId: "" }
    const bytes = AgentMessageRequest.encode(AgentMessageRequest.fromPartial(request)).finish()
    const sendAs = (req: typeof request, headers?: Readonly<Record<string, string>>) =>
      client.agentMessage(req, headers === undefined ? {} : { metadata: Metadata(headers) }).then(
        (r) => `OK ${r.success} ${r.message}`,
        (e: unknown) => (e instanceof ClientError ? `${Status[e.code]}: ${e.details}` : String(e))
      )
    const send = (headers?: Readonly<Record<string, string>>) => sendAs(request, headers)
    const ENDED = /only for the sessions of this coordinator/
    /** Sessions that ended between being picked and a MAC check (each such answer is one more refusal). */
    let endedMeanwhile = 0
    try {
      expect(await send()).toMatch(/^UNAUTHENTICATED: .*SESSION_AUTH=strict: every call must be signed/)
      expect(await send(sessionSigner(Ed25519Keypair.generate().getSecretKey()).sign(AGENT_MESSAGE, bytes, Date.now()))).toMatch(/^UNAUTHENTICATED: .*not the session's/)
      const stolen = sessionSigner(agent.env["SESSION_PRIVATE_KEY"]!)
      expect(await send(stolen.sign(AGENT_MESSAGE, bytes, Date.now() - 10 * 60_000))).toMatch(/^UNAUTHENTICATED: .* s old/)
      // with the session's own key the signature passes; the call still does not come from the agent
      const signed = stolen.sign(AGENT_MESSAGE, bytes, Date.now())
      expect(await send(signed)).toMatch(/^OK false (session 0x[0-9a-f]{8}… is bound to its agent|unknown session)/)
      expect(await send(signed)).toMatch(/^UNAUTHENTICATED: .*a replay/)
      // the agents were told to prove their calls with the session's call key instead
      expect(agent.env["SESSION_CALL_PROOF"]).toBe("hmac")
      // A MAC is checked against the call key of a session the daemon holds: an agent that ended
      // after being picked is answered "only for the sessions of this coordinator"; then the check
      // is made again with an agent live now, until one answers for its MAC.
      let wrongMac = ""
      for (let picked = agent; ; ) {
        const req = { ...request, sessionId: picked.env["SESSION_ID"]! }
        const b = AgentMessageRequest.encode(AgentMessageRequest.fromPartial(req)).finish()
        wrongMac = await sendAs(req, sessionSigner(Ed25519Keypair.generate().getSecretKey(), "hmac").sign(AGENT_MESSAGE, b, Date.now()))
        if (!ENDED.test(wrongMac) || endedMeanwhile >= 5) break
        endedMeanwhile++
        picked = await liveAgent(picked.env["SESSION_ID"])
      }
      expect(wrongMac).toMatch(/^UNAUTHENTICATED: .*MAC does not match/)
      // A call MACed with the session's own key passes and its replay is refused. Both are checked
      // for a session the daemon holds: an agent that ends before either is answered "only for the
      // sessions of this coordinator", and the pair is made again with an agent live now.
      let replayed = ""
      for (let picked = agent; ; ) {
        const req = { ...request, sessionId: picked.env["SESSION_ID"]! }
        const b = AgentMessageRequest.encode(AgentMessageRequest.fromPartial(req)).finish()
        const maced = sessionSigner(picked.env["SESSION_PRIVATE_KEY"]!, "hmac").sign(AGENT_MESSAGE, b, Date.now())
        const live = await sendAs(req, maced)
        expect(live).toMatch(/^OK false session 0x[0-9a-f]{8}… is bound to its agent|^UNAUTHENTICATED: .*only for the sessions of this coordinator/)
        replayed = live.startsWith("OK") ? await sendAs(req, maced) : live
        if (!ENDED.test(replayed) || endedMeanwhile >= 5) break
        endedMeanwhile++
        picked = await liveAgent(picked.env["SESSION_ID"])
      }
      expect(replayed).toMatch(/^UNAUTHENTICATED: .*a replay/)
    } finally {
      channel.close()
    }
    const after = await metrics()
    expect(sampleValue(after, "silvana_grpc_requests_total", { method: "AgentMessage", code: "UNAUTHENTICATED" })).toBe(6 + endedMeanwhile)
    expect(daemon.output()).not.toContain(sessionId)
  }, 240_000)
})
