/**
 * A tiny loopback HTTP endpoint for the fault switches, so tests and tools in other processes
 * (and `localnet fault ...`) can inject faults:
 *
 *   POST /faults/drop-subscriptions
 *   POST /faults/pause-checkpoints            POST /faults/resume-checkpoints
 *   POST /faults/prune-below?checkpoint=N
 *   POST /faults/fail-next-executions?count=K&kind=unavailable|version-conflict|lock-conflict|object-not-found
 *   POST /faults/latency?ms=N
 *   POST /faults/filtered-events-unimplemented?on=true|false
 *   POST /faults/drop-executed?count=K[&function=NAME]
 *   POST /faults/rollback?count=N
 *   GET  /status
 */
import * as http from "node:http"
import { type ExecutionFaultKind, executionFaultKinds } from "./context.js"

/** Faults on demand for resilience tests. */
export interface LocalnetFaults {
  /** Ends every live subscription stream with UNAVAILABLE. */
  dropSubscriptions(): void
  pauseCheckpoints(): void
  resumeCheckpoints(): void
  /** Drops history below `checkpoint` (reported as `lowest_available_checkpoint`). */
  pruneBelow(checkpoint: bigint | number): void
  /** The next `count` ExecuteTransaction calls fail, answered as a full node answers `kind`. */
  failNextExecutions(count: number, kind: ExecutionFaultKind): void
  /** Delay added to every call. */
  setLatencyMs(ms: number): void
  /** ExecuteTransaction calls wait (unexecuted) until `releaseExecutions`; every other call answers. */
  holdExecutions(): void
  releaseExecutions(): void
  setFilteredEventsUnimplemented(on: boolean): void
  /**
   * The next `count` transactions that execute (those calling Move function `fn`, when given) are
   * answered with their effects and then lost: neither they nor their changes stay on chain.
   */
  dropExecuted(count: number, fn?: string): void
  /** Forgets the last `count` checkpoints (and every later transaction), as a node restored from a backup; ends live streams. */
  rollback(count: number): bigint
}

export interface AdminServer {
  readonly url: string
  close(): Promise<void>
}

export type StatusProvider = () => Record<string, unknown>

const handlers: Record<string, (faults: LocalnetFaults, q: URLSearchParams) => void> = {
  "/faults/drop-subscriptions": (f) => f.dropSubscriptions(),
  "/faults/pause-checkpoints": (f) => f.pauseCheckpoints(),
  "/faults/resume-checkpoints": (f) => f.resumeCheckpoints(),
  "/faults/prune-below": (f, q) => f.pruneBelow(BigInt(need(q, "checkpoint"))),
  "/faults/fail-next-executions": (f, q) => {
    const kind = q.get("kind") ?? "unavailable"
    const known = executionFaultKinds.find((k) => k === kind)
    if (known === undefined) throw new Error(`unknown kind: ${kind}`)
    f.failNextExecutions(Number(need(q, "count")), known)
  },
  "/faults/latency": (f, q) => f.setLatencyMs(Number(need(q, "ms"))),
  "/faults/hold-executions": (f) => f.holdExecutions(),
  "/faults/release-executions": (f) => f.releaseExecutions(),
  "/faults/filtered-events-unimplemented": (f, q) => f.setFilteredEventsUnimplemented((q.get("on") ?? "true") !== "false"),
  "/faults/drop-executed": (f, q) => f.dropExecuted(Number(need(q, "count")), q.get("function") ?? undefined),
  "/faults/rollback": (f, q) => void f.rollback(Number(need(q, "count")))
}

/** The fault names the endpoint (and the CLI) accept. */
export const faultPaths = Object.keys(handlers).map((p) => p.slice("/faults/".length))

const need = (q: URLSearchParams, key: string): string => {
  const v = q.get(key)
  if (v === null || v.length === 0) throw new Error(`missing query parameter ${key}`)
  return v
}

export const startAdminServer = (faults: LocalnetFaults, status: StatusProvider, host: string, port: number): Promise<AdminServer> =>
  new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost")
      const reply = (code: number, body: unknown) => {
        res.writeHead(code, { "content-type": "application/json" })
        res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))
      }
      if (req.method === "GET" && url.pathname === "/status") return reply(200, status())
      const handler = handlers[url.pathname]
      if (handler === undefined) return reply(404, { error: `unknown endpoint ${url.pathname}` })
      if (req.method !== "POST") return reply(405, { error: "use POST" })
      try {
        handler(faults, url.searchParams)
        reply(200, { ok: true, status: status() })
      } catch (e) {
        reply(400, { error: e instanceof Error ? e.message : String(e) })
      }
    })
    server.once("error", reject)
    server.listen(port, host, () => {
      const address = server.address()
      const bound = typeof address === "object" && address !== null ? address.port : port
      resolve({
        url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
