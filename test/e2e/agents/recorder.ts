/**
 * A test agent: records every job it handles (`<seq> <session> <outcome>` per line in the file
 * given as argv[2]) and behaves as argv[3] says:
 * - `ok`: completes every job;
 * - `fail-odd`: fails jobs with an odd sequence on their first attempt, completes the rest;
 * - `always-fail`: fails every job;
 * - `hang`: takes one job and never answers;
 * - `crash`: takes one job and exits with code 3;
 * - `slow`: completes every job after 100 ms of "work";
 * - `hang-first`: the first agent of the run takes one job and never answers; later ones complete;
 * - `gated`: completes every job once a file `<record file>.go` exists (the test opens the gate);
 * - `warm`: a no-op agent that stays up, as a pool of workers would: after an empty GetJob a loop
 *   waits 5 ms, doubling with each further empty answer up to argv[5] ms (default 100), and back
 *   to 5 ms once it gets a job; it exits only after 10 s without work; records
 *   `<seq> <session> got:<epoch ms>` for latency measurements.
 */
import { appendFileSync, existsSync, writeFileSync } from "node:fs"
import { AgentClient } from "../../../src/sdk/index.js"

const [file, mode = "ok"] = process.argv.slice(2)
const client = AgentClient.fromEnv()
const record = (seq: bigint, outcome: string) => appendFileSync(file!, `${seq} ${client.env.sessionId} ${outcome}\n`)

/** True for exactly one agent of the run: the one that created the marker file. */
const firstAgent = () => {
  try {
    writeFileSync(`${file}.first`, client.env.sessionId, { flag: "wx" })
    return true
  } catch {
    return false
  }
}

const warm = async () => {
  let idleSince = Date.now()
  // several loops in one agent, as several workers would be (argv[4], default 1)
  const loops = Number(process.argv[4] ?? 1)
  // the longest wait between two empty GetJobs of one loop (argv[5]); 5 keeps a fixed 5 ms pace
  const maxIdleMs = Math.max(5, Number(process.argv[5] ?? 100))
  const loop = async (): Promise<void> => {
    let wait = 5
    for (;;) {
      const job = await client.getJob()
      if (job === undefined) {
        if (Date.now() - idleSince > 10_000) return
        await new Promise((r) => setTimeout(r, wait))
        wait = Math.min(maxIdleMs, wait * 2)
        continue
      }
      wait = 5
      const got = Date.now()
      await client.completeJob(job.jobId)
      record(job.jobSequence, `got:${got}`)
      idleSince = Date.now()
    }
  }
  await Promise.all(Array.from({ length: loops }, loop))
  return 0
}

const main = async () => {
  if (mode === "warm") return warm()
  for (;;) {
    const job = await client.getJob()
    if (job === undefined) return 0
    if (mode === "hang" || (mode === "hang-first" && firstAgent())) {
      record(job.jobSequence, "hang")
      // keep the event loop alive: a bare pending promise would let Node exit
      await new Promise(() => setInterval(() => undefined, 60_000))
    }
    if (mode === "crash") {
      record(job.jobSequence, "crash")
      process.exit(3)
    }
    if (mode === "slow") await new Promise((r) => setTimeout(r, 100))
    while (mode === "gated" && !existsSync(`${file}.go`)) await new Promise((r) => setTimeout(r, 20))
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
