/**
 * A prove → merge flow driven by agents written on the SDK the way Silvana's published agents
 * are: each takes its job with GetJob, reads what it needs, submits its proof, completes the job.
 * The chain ends with both halves used and the merged proof calculated.
 */
import { describe, expect, it } from "vitest"
import { ProofStatus } from "../../src/chain/appTypes.js"
import { Effect } from "effect"
import { makeSecretsStore } from "../../src/layers/Secrets.js"
import { AgentClient } from "../../src/sdk/index.js"
import { type AppApiFixture, mergeTriple, proveTriple } from "../api/appFixture.js"
import { appApiForSuite } from "../api/appSuite.js"

const agentEnv = (f: AppApiFixture, sessionId: string, t: { developer: string; agent: string; agentMethod: string }) => ({
  SESSION_ID: sessionId, DEVELOPER: t.developer, AGENT: t.agent, AGENT_METHOD: t.agentMethod, COORDINATOR_SOCKET: f.api.socketPath
})

/** The agent's loop: prove jobs submit one proof per job, merge jobs merge the two halves. */
const runAgent = async (client: AgentClient, sequencesOf: (n: number) => bigint[]) => {
  let n = 0
  for (let job = await client.getJob(); job; job = await client.getJob()) {
    if (job.agentMethod === "merge") {
      const [a, b] = await Promise.all([client.getProof(job.jobId, 1n, [20n]), client.getProof(job.jobId, 1n, [21n])])
      if (a === undefined || b === undefined) throw new Error("missing half")
      await client.submitProof(job.jobId, { blockNumber: 1n, sequences: [20n, 21n], mergedSequences1: [20n], mergedSequences2: [21n], proof: `${a}+${b}` })
    } else {
      // As Silvana's published prover does: its key from the secrets, the app instance's state.
      const key = await client.retrieveSecret(job.jobId, "sk_prover")
      if (key !== "prover-key") throw new Error(`secret: ${key}`)
      const app = await client.getAppInstance(job.jobId)
      if (app.methods["merge"] === undefined) throw new Error("the app instance has no merge method")
      const seqs = sequencesOf(n++)
      const { daHash } = await client.submitProof(job.jobId, { blockNumber: 1n, sequences: seqs, proof: `proof(${seqs.join(",")})`, cpuTimeMs: 3n })
      await client.proofEvent(job.jobId, { type: "submitted", blockNumber: 1n, dataAvailability: daHash, sequences: seqs })
    }
    await client.completeJob(job.jobId)
  }
  client.close()
}

describe("prove → merge with SDK agents", () => {
  const f = appApiForSuite()

  it("two prove jobs then a merge job leave the merged proof on chain", async () => {
    await Effect.runPromise(makeSecretsStore(f.dir, f.secretsKey).set({ developer: "dev", agent: "agent", name: "sk_prover" }, "prover-key"))
    const p1 = await f.holdJob(undefined, {}, false)
    await runAgent(AgentClient.fromEnv(agentEnv(f, p1.sessionId, proveTriple)), () => [20n])
    const p2 = await f.holdJob(undefined, {}, false)
    await runAgent(AgentClient.fromEnv(agentEnv(f, p2.sessionId, proveTriple)), () => [21n])
    await f.idle()
    const m = await f.holdJob("merge", {}, false)
    const merger = AgentClient.fromEnv(agentEnv(f, m.sessionId, mergeTriple))
    await runAgent(merger, () => [])
    await f.idle()
    const json = await f.instanceJson()
    const { decodeProofCalculation } = await import("../../src/chain/appTypes.js")
    const { bcs } = await import("@mysten/sui/bcs")
    const { deriveDynamicFieldID } = await import("@mysten/sui/utils")
    const fieldId = deriveDynamicFieldID(json.proof_calculations.id, "0x2::dynamic_object_field::Wrapper<u64>", bcs.u64().serialize(1n).toBytes())
    const field = await f.sui.core.getObject({ objectId: fieldId, include: { json: true } })
    const pc = decodeProofCalculation((await f.sui.core.getObject({ objectId: (field.object.json as { value: string }).value, include: { content: true } })).object.content)
    const st = (k: string) => pc.proofs.find((p) => p.sequences.join(",") === k)?.status
    expect([st("20"), st("21"), st("20,21")]).toEqual([ProofStatus.Used, ProofStatus.Used, ProofStatus.Calculated])
    // jobs completed and settled: nothing of them stays pending on chain
    for (const seq of [p1.seq, p2.seq, m.seq]) expect(json.jobs.pending_jobs.contents).not.toContain(String(seq))
  })
})
