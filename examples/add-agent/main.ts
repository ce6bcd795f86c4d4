/**
 * The example "add" agent: takes jobs from its coordinator, sums the integers in each job's data
 * (see sum.ts), completes the job — or fails it when the data is not a list of integers — and
 * exits 0 when the coordinator has no job left for it. Every step is logged through AgentMessage.
 *
 * Run it as a process (`npx tsx examples/add-agent/main.ts` with the coordinator's env) or as the
 * container image built by scripts/build-agent-image.sh.
 */
import { AgentClient } from "../../src/sdk/index.js"
import { sumOf } from "./sum.js"

const main = async (): Promise<number> => {
  const client = AgentClient.fromEnv()
  const { developer, agent, agentMethod } = client.env
  try {
    await client.log("info", `add agent started for ${developer}/${agent}/${agentMethod}`)
    let handled = 0
    for (;;) {
      const job = await client.getJob()
      if (job === undefined) break
      handled += 1
      const result = sumOf(job.data)
      if (result.ok) {
        await client.log("info", `sum of ${result.count} numbers = ${result.sum}`, job.jobId)
        await client.completeJob(job.jobId)
      } else {
        await client.log("warn", `bad job data: ${result.reason}`, job.jobId)
        await client.failJob(job.jobId, `bad job data: ${result.reason}`)
      }
    }
    await client.log("info", `no job left after ${handled}; exiting`)
    return 0
  } finally {
    client.close()
  }
}

// As a container's PID 1, Node would ignore SIGTERM and the coordinator's stop would have to
// wait for its kill; exit promptly instead (a job in hand is failed by the coordinator).
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    console.error(`add agent: ${signal}, exiting`)
    process.exit(signal === "SIGTERM" ? 143 : 130)
  })
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`add agent: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
)
