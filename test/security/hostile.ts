/**
 * A hostile local process (run by the test as another uid): tries to read the operator API, the
 * state directory and other processes' environments, then every RPC (all 31) with a stolen session id
 * and a job id. Prints one JSON line of what happened; it never throws.
 */
import * as fs from "node:fs"
import { createChannel, createClient } from "nice-grpc"
import { CoordinatorServiceDefinition } from "../../src/gen/silvana/coordinator/v1/coordinator.js"

const [httpBase, stateDir, tcp, socketPath, sessionId, jobId, triple, pids] = process.argv.slice(2) as [string, string, string, string, string, string, string, string]
const [developer, agent, agentMethod] = triple.split("/") as [string, string, string]

const attempt = async (f: () => Promise<unknown>): Promise<string> => {
  try {
    const r = await f()
    return typeof r === "string" ? r : JSON.stringify(r, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))
  } catch (e) {
    return `error: ${(e as NodeJS.ErrnoException).code ?? ""} ${(e as Error).message}`.slice(0, 300)
  }
}

/** Every RPC of the agent service with the stolen ids (the job-scoped ones with plausible arguments). */
const rpcs = async (address: string) => {
  const channel = createChannel(address)
  const c = createClient(CoordinatorServiceDefinition, channel) as unknown as Record<string, (req: object, options: object) => Promise<unknown>>
  const request = {
    sessionId, jobId, developer, agent, agentMethod, errorMessage: "hostile", level: 2, message: "hostile", key: "hostile", value: "hostile",
    name: "hostile", daHash: "hostile", methodName: agentMethod, blockNumber: 1n, sequence: 1n, sequences: [1n], chain: "hostile", proof: "hostile",
    settlementChain: "hostile", settlementTxHash: "hostile", stateDataAvailability: "hostile", proofDataAvailability: "hostile",
    dataAvailability: "hostile", blockProof: "hostile", serializedState: "hostile", sequences1: [1n], sequences2: [2n],
    mergedSequences1: [1n], mergedSequences2: [2n], jobDescription: "hostile", proofEventType: 1
  }
  const out: Record<string, string> = {}
  for (const key of Object.keys(CoordinatorServiceDefinition.methods)) {
    out[key] = await attempt(() => c[key]!(request, { signal: AbortSignal.timeout(15_000) }))
  }
  channel.close()
  return out
}

const main = async () => {
  const http: Record<string, string> = {}
  for (const p of ["/v1/agents", "/v1/jobs", "/v1/config", "/v1/status"]) {
    http[p] = await attempt(async () => {
      const r = await fetch(`${httpBase}${p}`)
      return `${r.status} ${(await r.text()).slice(0, 200)}`
    })
  }
  const files = {
    listState: await attempt(async () => fs.readdirSync(stateDir).join(",")),
    token: await attempt(async () => fs.readFileSync(`${stateDir}/api-token`, "utf8")),
    journal: await attempt(async () => String(fs.readFileSync(`${stateDir}/journal.sqlite`).length)),
    environ: Object.fromEntries(
      await Promise.all(pids.split(",").map(async (pid) => [pid, await attempt(async () => fs.readFileSync(`/proc/${pid}/environ`, "utf8").slice(0, 200))]))
    )
  }
  const tcpCalls = await rpcs(tcp)
  const socketCalls = await rpcs(`unix://${socketPath}`)
  console.log(JSON.stringify({ uid: process.getuid?.(), http, files, tcpCalls, socketCalls }))
}

void main()
