/**
 * The localnet for bench:chain, in its own process (as a full node would be): seeds an agent
 * method, builds the catch-up gap (jobs through gRPC, empty checkpoints sealed through the engine),
 * prints one JSON line `{ manifest, start, tip }` and serves until its stdin closes.
 */
import { createJobs, seedAgentMethod } from "../src/localnet/client.js"
import { startLocalnet } from "../src/localnet/index.js"

const CHECKPOINTS = Number(process.env["BENCH_CHECKPOINTS"] ?? 10_000)
const EVENTS = Number(process.env["BENCH_EVENTS"] ?? 10_000)
const JOBS_PER_TX = 10
const METHOD = process.env["BENCH_METHOD"] ?? "bench"

const net = await startLocalnet({ port: 0, checkpointMs: "per-transaction" })
await seedAgentMethod(net.manifest, { developer: "bench", agent: "bench", method: METHOD, image: "bench:1" })
const start = net.chain.latestCheckpoint().sequenceNumber ?? 0n
const rounds = 10
const txs = Math.ceil(EVENTS / JOBS_PER_TX)
const emptyPerRound = Math.max(0, Math.floor((CHECKPOINTS - txs) / rounds))
for (let r = 0; r < rounds; r++) {
  await createJobs(net.manifest, { count: Math.floor(EVENTS / rounds), method: METHOD, perTransaction: JOBS_PER_TX })
  for (let i = 0; i < emptyPerRound; i++) net.chain.sealCheckpoint()
}
const tip = net.chain.latestCheckpoint().sequenceNumber ?? 0n
process.stdout.write(`${JSON.stringify({ manifest: net.manifest, start: start.toString(), tip: tip.toString() })}\n`)
process.stdin.resume()
process.stdin.on("end", () => {
  void net.close().then(() => process.exit(0))
})
