/**
 * The pipeline example agent for the demo app (`add` actions → sequences → blocks): serves the
 * app's `prove`, `merge` and `settle` jobs (jobs.ts) with cheap hash-chain proofs (hashProof.ts)
 * and a file ledger as the settlement chain (ledger.ts: `PIPELINE_LEDGER`, default under the
 * system temp dir). Runs up to `PIPELINE_AGENT_CONCURRENCY` jobs at once (default 8); exits 0 when
 * its coordinator has had no job for it for `PIPELINE_AGENT_LINGER_MS` (default 1 s).
 *
 * Run it as a process (`npx tsx examples/pipeline-agent/main.ts` with the coordinator's env) or
 * as the image `scripts/build-agent-image.sh silvana/pipeline-agent:dev pipeline-agent` builds.
 */
import * as os from "node:os"
import * as path from "node:path"
import { AgentClient, type Job, serveJobs } from "../../src/sdk/index.js"
import { loadFaults } from "./faults.js"
import { merge, type Outcome, prove, settle } from "./jobs.js"
import { FileLedger } from "./ledger.js"
import { pipelineRpc } from "./rpc.js"

const main = async (): Promise<number> => {
  const client = AgentClient.fromEnv()
  const rpc = pipelineRpc(client.env)
  // the ledger file: first argument, else PIPELINE_LEDGER, else under the temp dir
  const ledger = new FileLedger(process.argv[2] ?? process.env.PIPELINE_LEDGER ?? path.join(os.tmpdir(), "silvana-pipeline-ledger.jsonl"))
  const faults = loadFaults(ledger.file)
  const settleOptions = {
    ledger,
    // a settle job is periodic (60 s): hold it while blocks keep coming
    idleMs: Number(process.env.PIPELINE_SETTLE_IDLE_MS ?? 60_000),
    maxRunMs: Number(process.env.PIPELINE_SETTLE_MAX_RUN_MS ?? 240_000),
    pollMs: Number(process.env.PIPELINE_SETTLE_POLL_MS ?? 100),
    now: () => BigInt(Date.now()),
    faults
  }
  // Several jobs at once: a job's time is mostly waiting for the coordinator (its RPCs, the chain),
  // and a settle job is held while blocks keep coming, so one job at a time would leave the
  // agent's permit idle and starve the other instances' settle jobs.
  const concurrency = Math.max(1, Number(process.env.PIPELINE_AGENT_CONCURRENCY ?? 8))
  // With no job running or offered, it asks again for this long before it stops (the next wave of
  // merges or proofs is usually a moment away; a new agent process costs far more).
  const lingerMs = Number(process.env.PIPELINE_AGENT_LINGER_MS ?? 1_000)
  const runJob = async (job: Job) => {
    let outcome: Outcome
    // an app may name its methods as it likes: they map to this agent's prove / merge / settle
    const method = ["prove", "merge", "settle"].includes(job.appInstanceMethod) ? job.appInstanceMethod : job.agentMethod
    try {
      outcome =
        method === "prove" ? await prove(client, rpc, job, faults)
        : method === "merge" ? await merge(client, rpc, job, faults)
        : method === "settle" ? await settle(client, rpc, job, settleOptions)
        : { _tag: "fail", reason: `the pipeline agent has no method ${job.appInstanceMethod}` }
    } catch (e) {
      outcome = { _tag: "fail", reason: e instanceof Error ? e.message : String(e) }
    }
    if (outcome._tag === "complete") await client.completeJob(job.jobId)
    else {
      await client.log("warn", `${job.appInstanceMethod} failed: ${outcome.reason}`, job.jobId)
      await client.failJob(job.jobId, outcome.reason)
    }
  }
  try {
    await serveJobs(() => client.getJob(), runJob, { concurrency, lingerMs })
    return 0
  } finally {
    rpc.close()
    client.close()
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => process.exit(signal === "SIGTERM" ? 143 : 130))
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`pipeline agent: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
)
