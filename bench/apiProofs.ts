/**
 * bench:api (proofs) — SubmitProof + GetProof pairs per second with 64 KiB proofs over the Unix
 * socket, against the real backend: a localnet, the settlement outbox (submit_proof calls are
 * batched and settle in the background), and the DA store in a temp dir. Each of CONCURRENCY
 * sessions holds one started job and submits proofs of distinct sequences. Server, localnet and
 * clients share this process. Prints `name=value` lines.
 *
 * The same client also drives a bare nice-grpc server in this process (its SubmitProof keeps the
 * proof in a Map, its GetProof answers it), in rounds alternating with the coordinator's: the
 * `_bare` figures are the cost of gRPC alone with 64 KiB messages on this machine at this moment,
 * and `submit_proof_overhead_ratio` (coordinator / bare pairs per second) is the figure that
 * survives a loaded machine.
 *
 * BENCH_NODE=process runs the localnet as a process of its own (the bundled localnet CLI), as a
 * coordinator is deployed beside a node it does not share a thread with; by default it shares
 * this process, and the chain's execution of the `submit_proof` calls is in the figures too; as a
 * process of its own, its CPU over the measured rounds and the drain that follows them is printed
 * per pair (`submit_proof_node_cpu_ms_per_pair`, from /proc).
 */
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { createChannel, createClient, createServer } from "nice-grpc"
import { CoordinatorServiceDefinition, type CoordinatorServiceImplementation } from "../src/gen/silvana/coordinator/v1/coordinator.js"
import { Journal } from "../src/layers/Journal.js"
import { Settlement } from "../src/layers/Settlement.js"
import { type NodeHandle, startAppApi } from "../test/api/appFixture.js"
import { seedFixtureMethod } from "../test/chain/fixture.js"
import { bundleLocalnetCli, startLocalnetCli } from "../test/support/localnetCli.js"
import { processCpuMs } from "./procCpu.js"
import { profileIfAsked } from "./profile.js"

const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 32)
const ROUND_MS = Number(process.env["BENCH_ROUND_MS"] ?? 3000)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3)
const PROOF = "p".repeat(64 * 1024)

const percentile = (sorted: Array<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** A nice-grpc server on `socketPath` whose SubmitProof keeps the proof and GetProof answers it, nothing else. */
const bareServer = async (socketPath: string) => {
  const server = createServer({ "grpc.max_receive_message_length": 16 * 1024 * 1024 })
  const proofs = new Map<string, string>()
  const impl: Partial<CoordinatorServiceImplementation> = {
    submitProof: async (r) => {
      proofs.set(`${r.jobId}:${r.sequences.join(",")}`, r.proof)
      return { success: true, message: "", txHash: "", daHash: "bare" }
    },
    getProof: async (r) => {
      const key = `${r.jobId}:${r.sequences.join(",")}`
      const proof = proofs.get(key)
      proofs.delete(key)
      return { success: proof !== undefined, message: "", proof }
    }
  }
  // Every other method answers UNIMPLEMENTED (nice-grpc wants a handler per method).
  server.add(CoordinatorServiceDefinition, new Proxy(impl, { get: (t, k) => (t as Record<string | symbol, unknown>)[k] ?? (async () => { throw new Error("not served") }) }) as CoordinatorServiceImplementation)
  await server.listen(`unix://${socketPath}`)
  const channel = createChannel(`unix://${socketPath}`)
  return {
    client: createClient(CoordinatorServiceDefinition, channel),
    close: () => {
      channel.close()
      server.forceShutdown()
    }
  }
}

const NODE = process.env["BENCH_NODE"] ?? "in-process"
if (NODE !== "in-process" && NODE !== "process") throw new Error(`BENCH_NODE must be in-process or process, not ${NODE}`)

/** The localnet CLI as a process of its own, seeded as the in-process fixture's node is. */
const nodeProcess = async (dir: string): Promise<NodeHandle & { readonly pid: number | undefined }> => {
  const bundle = path.join(dir, "localnet.mjs")
  await bundleLocalnetCli(bundle)
  const node = await startLocalnetCli(bundle, path.join(dir, "manifest.json"), ["--port", "0", "--checkpoint-ms", "per-transaction"])
  await seedFixtureMethod(node.manifest)
  return { manifest: node.manifest, close: node.kill, pid: node.proc.pid }
}

const main = async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-bench-proofs-"))
  const net = NODE === "process" ? await nodeProcess(dir) : undefined
  const f = await startAppApi({ dir, ...(net !== undefined ? { net } : {}) })
  console.log(`submit_proof_node=${NODE}`)
  try {
    const held: Array<{ sessionId: string; jobId: string }> = []
    for (let i = 0; i < CONCURRENCY; i++) held.push(await f.holdJob())
    let next = 1_000n
    type Client = typeof f.client
    const round = async (client: Client, sessions: ReadonlyArray<{ sessionId: string; jobId: string }>) => {
      const latencies: number[] = []
      const deadline = performance.now() + ROUND_MS
      let pairs = 0
      await Promise.all(
        sessions.map(async ({ sessionId, jobId }, i) => {
          while (performance.now() < deadline) {
            const seq = next++
            const proof = `${i}:${seq}:${PROOF}`
            const t0 = performance.now()
            const sub = await client.submitProof({ sessionId, jobId, blockNumber: 1n, sequences: [seq], mergedSequences1: [], mergedSequences2: [], proof, cpuTime: 1n })
            if (!sub.success) throw new Error(`submit refused: ${sub.message}`)
            const got = await client.getProof({ sessionId, jobId, blockNumber: 1n, sequences: [seq] })
            if (got.proof !== proof) throw new Error(`GetProof answered other bytes for ${seq}`)
            latencies.push(performance.now() - t0)
            pairs++
          }
        })
      )
      return { perSecond: (pairs * 1000) / ROUND_MS, latencies }
    }
    const bare = await bareServer(path.join(f.dir, "bare.sock"))
    const bareSessions = held.map((h) => ({ ...h }))
    const bareRates: number[] = []
    const bareLat: number[] = []
    let bareCpu = 0
    const bareRound = async () => {
      const c0 = process.cpuUsage()
      const res = await round(bare.client, bareSessions)
      const c = process.cpuUsage(c0)
      bareCpu += c.user + c.system
      bareRates.push(res.perSecond)
      bareLat.push(...res.latencies)
    }
    await round(bare.client, bareSessions)
    await round(f.client, held)
    // BENCH_CPU_PROF=<file>: a V8 CPU profile of the measured rounds only (not start-up, not warm-up).
    const profile = await profileIfAsked()
    const rates: number[] = []
    const lat: number[] = []
    // CPU per pair (this process: server and clients, and the localnet unless BENCH_NODE=process)
    // does not depend on the machine's load the way a rate does: it is the figure to compare
    // between runs on a busy machine.
    const commits0 = await f.runtime.runPromise(Effect.flatMap(Journal, (j) => j.commits))
    const txs0 = (await f.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.stats))).transactions
    let ownCpu = 0
    // The node's CPU from here to the end of the settlement drain: the bare rounds in between
    // send it nothing, so all of it is the coordinator's pairs' transactions (and their reads).
    const nodeCpu0 = processCpuMs(net?.pid)
    for (let r = 0; r < ROUNDS; r++) {
      if (!profile.on) await bareRound()
      const c0 = process.cpuUsage()
      const res = await round(f.client, held)
      const c = process.cpuUsage(c0)
      ownCpu += c.user + c.system
      if (process.env["BENCH_VERBOSE"] !== undefined) console.error(`round ${r}: ${res.latencies.length} pairs, ${((c.user + c.system) / 1000 / res.latencies.length).toFixed(2)} ms CPU per pair`)
      rates.push(res.perSecond)
      lat.push(...res.latencies)
    }
    await profile.stop()
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
    console.log(`submit_proof_cpu_ms_per_pair=${(ownCpu / 1000 / lat.length).toFixed(2)}`)
    if (bareRates.length > 0) {
      bareRates.sort((a, b) => a - b)
      bareLat.sort((a, b) => a - b)
      const bareRate = bareRates[Math.floor(bareRates.length / 2)]!
      const rate = rates[Math.floor(rates.length / 2)]!
      console.log(`submit_proof_per_s_bare=${bareRate.toFixed(0)}`)
      console.log(`submit_proof_p50_ms_bare=${percentile(bareLat, 50).toFixed(3)}`)
      console.log(`submit_proof_p99_ms_bare=${percentile(bareLat, 99).toFixed(3)}`)
      console.log(`submit_proof_cpu_ms_per_pair_bare=${(bareCpu / 1000 / bareLat.length).toFixed(2)}`)
      console.log(`submit_proof_overhead_ratio=${(rate / bareRate).toFixed(3)}`)
    }
    bare.close()
    const t0 = performance.now()
    await f.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.awaitIdle))
    const stats = await f.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.stats))
    console.log(`submit_proof_settle_drain_ms=${(performance.now() - t0).toFixed(0)}`)
    const nodeCpu1 = processCpuMs(net?.pid)
    if (nodeCpu0 !== undefined && nodeCpu1 !== undefined) console.log(`submit_proof_node_cpu_ms_per_pair=${((nodeCpu1 - nodeCpu0) / lat.length).toFixed(2)}`)
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
