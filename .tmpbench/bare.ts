import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { createChannel, createClient, createServer } from "nice-grpc"
import { CoordinatorServiceDefinition } from "../src/gen/silvana/coordinator/v1/coordinator.js"
const dir = mkdtempSync(path.join(os.tmpdir(), "bare-"))
const sock = `unix://${path.join(dir, "s.sock")}`
const server = createServer({ "grpc.max_receive_message_length": 16e6 })
const store = new Map<string, string>()
const impl: any = new Proxy({

  submitProof: async (r: any) => { store.set(String(r.sequences[0]), r.proof); return { success: true, message: "", txHash: "", daHash: "x" } },
  getProof: async (r: any) => ({ success: true, message: "", proof: store.get(String(r.sequences[0])) })
}, { get: (t: any, k) => t[k] ?? (async () => ({})) })
server.add(CoordinatorServiceDefinition, impl)
await server.listen(sock)
const client = createClient(CoordinatorServiceDefinition, createChannel(sock, undefined, process.env.WIN ? { "grpc-node.flow_control_window": 16 * 1024 * 1024 } : {}))
const P = "p".repeat(65536); let next = 0n; let pairs = 0
const t0 = performance.now(); const c0 = process.cpuUsage()
await Promise.all(Array.from({ length: 32 }, async () => { while (performance.now() - t0 < 3000) { const s = next++; await client.submitProof({ sessionId: "a", jobId: "b", blockNumber: 1n, sequences: [s], mergedSequences1: [], mergedSequences2: [], proof: P, cpuTime: 1n }); await client.getProof({ sessionId: "a", jobId: "b", blockNumber: 1n, sequences: [s] }); pairs++ } }))
const c = process.cpuUsage(c0)
console.log("pairs/s", pairs / 3, "cpu ms/pair", ((c.user + c.system) / 1000 / pairs).toFixed(3))
process.exit(0)
