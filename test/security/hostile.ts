/**
 * A hostile local process (run by the test as another uid): tries to read the operator API, the
 * state directory and other processes' environments, then every core RPC with a stolen session id
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
    return typeof r === "string" ? r : JSON.stringify(r)
  } catch (e) {
    return `error: ${(e as NodeJS.ErrnoException).code ?? ""} ${(e as Error).message}`.slice(0, 300)
  }
}

const rpcs = async (address: string) => {
  const channel = createChannel(address)
  const c = createClient(CoordinatorServiceDefinition, channel)
  const deadline = () => ({ signal: AbortSignal.timeout(15_000) })
  const out = {
    getJob: await attempt(() => c.getJob({ sessionId, developer, agent, agentMethod }, deadline())),
    completeJob: await attempt(() => c.completeJob({ sessionId, jobId }, deadline())),
    failJob: await attempt(() => c.failJob({ sessionId, jobId, errorMessage: "hostile" }, deadline())),
    terminateJob: await attempt(() => c.terminateJob({ sessionId, jobId }, deadline())),
    agentMessage: await attempt(() => c.agentMessage({ sessionId, jobId: "", level: 2, message: "hostile" }, deadline()))
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
