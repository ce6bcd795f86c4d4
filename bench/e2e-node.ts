/**
 * The localnet for bench:e2e, in its own process (as a full node would be), checkpoints every
 * 250 ms as on mainnet. Seeds the no-op agent's method, prints `{ manifest }` as one JSON line and
 * serves until its stdin closes.
 */
import { seedAgentMethod } from "../src/localnet/client.js"
import { startLocalnet } from "../src/localnet/index.js"

const net = await startLocalnet({ port: 0, checkpointMs: Number(process.env["BENCH_CHECKPOINT_MS"] ?? 250) })
await seedAgentMethod(net.manifest, { developer: "bench", agent: "noop", method: "run", image: "bench/warm", appMethod: "run" })
// TEE-only: a coordinator outside TEE mode leaves these jobs pending (the RSS measurement).
await seedAgentMethod(net.manifest, { developer: "bench", agent: "tee", method: "unserved", image: "bench/tee", requiresTee: true, appMethod: "unserved" })
process.stdout.write(`${JSON.stringify({ manifest: net.manifest })}\n`)
process.stdin.resume()
process.stdin.on("end", () => {
  void net.close().then(() => process.exit(0))
})
