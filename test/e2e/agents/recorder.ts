/**
 * A test agent: records every job it handles (`<seq> <session> <outcome>` per line in the file
 * given as argv[2]) and behaves as argv[3] says:
 * - `ok`: completes every job;
 * - `fail-odd`: fails jobs with an odd sequence on their first attempt, completes the rest;
 * - `always-fail`: fails every job;
 * - `hang`: takes one job and never answers;
 * - `crash`: takes one job and exits with code 3;
 * - `slow`: completes every job after 100 ms of "work".
 */
import { appendFileSync } from "node:fs"
import { AgentClient } from "../../../src/sdk/index.js"

const [file, mode = "ok"] = process.argv.slice(2)
const client = AgentClient.fromEnv()
const record = (seq: bigint, outcome: string) => appendFileSync(file!, `${seq} ${client.env.sessionId} ${outcome}\n`)

const main = async () => {
  for (;;) {
    const job = await client.getJob()
    if (job === undefined) return 0
    if (mode === "hang") {
      record(job.jobSequence, "hang")
      // keep the event loop alive: a bare pending promise would let Node exit
      await new Promise(() => setInterval(() => undefined, 60_000))
    }
    if (mode === "crash") {
      record(job.jobSequence, "crash")
      process.exit(3)
    }
    if (mode === "slow") await new Promise((r) => setTimeout(r, 100))
    const fail = mode === "always-fail" || (mode === "fail-odd" && job.jobSequence % 2n === 1n && job.attempts <= 1)
    if (fail) {
      await client.failJob(job.jobId, `test failure of ${job.jobSequence} (attempt ${job.attempts})`)
      record(job.jobSequence, "failed")
    } else {
      await client.completeJob(job.jobId)
      record(job.jobSequence, "completed")
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e))
    process.exit(1)
  }
)
