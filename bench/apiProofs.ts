/**
 * bench:api (proofs) — SubmitProof + GetProof pairs per second with 64 KiB proofs over the Unix
 * socket, against the real backend: a localnet, the settlement outbox (submit_proof calls are
 * batched and settle in the background), and the DA store in a temp dir. Each of CONCURRENCY
 * sessions holds one started job and submits proofs of distinct sequences. Server, localnet and
 * clients share this process. Prints `name=value` lines.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Journal } from "../src/layers/Journal.js"
import { Settlement } from "../src/layers/Settlement.js"
import { startAppApi } from "../test/api/appFixture.js"

const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 32)
const ROUND_MS = Number(process.env["BENCH_ROUND_MS"] ?? 3000)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3)
const PROOF = "p".repeat(64 * 1024)

const percentile = (sorted: Array<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

const main = async () => {
  const f = await startAppApi({ dir: mkdtempSync(path.join(os.tmpdir(), "silvana-bench-proofs-")) })
  try {
    const held: Array<{ sessionId: string; jobId: string }> = []
    for (let i = 0; i < CONCURRENCY; i++) held.push(await f.holdJob())
    let next = 1_000n
    const round = async () => {
      const latencies: number[] = []
      const deadline = performance.now() + ROUND_MS
      let pairs = 0
      await Promise.all(
        held.map(async ({ sessionId, jobId }, i) => {
          while (performance.now() < deadline) {
            const seq = next++
            const proof = `${i}:${seq}:${PROOF}`
            const t0 = performance.now()
            const sub = await f.client.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [seq], mergedSequences1: [], mergedSequences2: [], proof, cpuTime: 1n })
            if (!sub.success) throw new Error(`submit refused: ${sub.message}`)
            const got = await f.client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [seq] })
            if (got.proof !== proof) throw new Error(`GetProof answered other bytes for ${seq}`)
            latencies.push(performance.now() - t0)
            pairs++
          }
        })
      )
      return { perSecond: (pairs * 1000) / ROUND_MS, latencies }
    }
    await round()
    // BENCH_CPU_PROF=<file>: a V8 CPU profile of the measured rounds only (not start-up, not warm-up).
    const profFile = process.env["BENCH_CPU_PROF"]
    const inspector = profFile === undefined ? undefined : new Session()
    if (inspector !== undefined) {
      inspector.connect()
      await inspector.post("Profiler.enable")
      await inspector.post("Profiler.start")
    }
    const rates: number[] = []
    const lat: number[] = []
    // CPU per pair (this process: server, localnet and clients) does not depend on the machine's
    // load the way a rate does: it is the figure to compare between runs on a busy machine.
    const cpu0 = process.cpuUsage()
    const commits0 = await f.runtime.runPromise(Effect.flatMap(Journal, (j) => j.commits))
    const txs0 = (await f.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.stats))).transactions
    for (let r = 0; r < ROUNDS; r++) {
      const c0 = process.cpuUsage()
      const res = await round()
      const c = process.cpuUsage(c0)
      if (process.env["BENCH_VERBOSE"] !== undefined) console.error(`round ${r}: ${res.latencies.length} pairs, ${((c.user + c.system) / 1000 / res.latencies.length).toFixed(2)} ms CPU per pair`)
      rates.push(res.perSecond)
      lat.push(...res.latencies)
    }
    const cpu = process.cpuUsage(cpu0)
    if (inspector !== undefined && profFile !== undefined) {
      const { profile } = await inspector.post("Profiler.stop")
      writeFileSync(profFile, JSON.stringify(profile))
      inspector.disconnect()
    }
    const commits = (await f.runtime.runPromise(Effect.flatMap(Journal, (j) => j.commits))) - commits0
    const txs = (await f.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.stats))).transactions - txs0
    rates.sort((a, b) => a - b)
    lat.sort((a, b) => a - b)
    console.log(`submit_proof_per_s=${rates[Math.floor(rates.length / 2)]!.toFixed(0)}`)
    console.log(`submit_proof_p50_ms=${percentile(lat, 50).toFixed(3)}`)
    console.log(`submit_proof_p99_ms=${percentile(lat, 99).toFixed(3)}`)
    console.log(`submit_proof_concurrency=${CONCURRENCY}`)
    console.log(`submit_proof_journal_commits_per_pair=${(commits / lat.length).toFixed(2)}`)
    console.log(`submit_proof_txs_per_pair=${(txs / lat.length).toFixed(3)}`)
    console.log(`submit_proof_cpu_ms_per_pair=${((cpu.user + cpu.system) / 1000 / lat.length).toFixed(2)}`)
    const t0 = performance.now()
    await f.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.awaitIdle))
    const stats = await f.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.stats))
    console.log(`submit_proof_settle_drain_ms=${(performance.now() - t0).toFixed(0)}`)
    console.log(`submit_proof_settlement_txs=${stats.transactions}`)
  } finally {
    await f.close()
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
