/**
 * A daemon configured for a node that does not answer (every setting right, SUI_RPC_URL pointing
 * nowhere): the real command line says so once, as one WARN line naming the node, keeps trying
 * quietly, and its HTTP endpoint is up meanwhile answering 503 — `/ready` is not ready.
 */
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { afterAll, describe, expect, it } from "vitest"
import { STALL_MS } from "../support/wait.js"
import { type Child, cleanEnv, freePort, spawnCli, waitFor } from "./processes.js"

let daemon: Child | undefined
afterAll(async () => {
  await daemon?.stop("SIGKILL")
})

describe("a node that does not answer", () => {
  it("one plain WARN line, /ready and /health 503 while it keeps trying, a clean stop", { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-unreachable-"))
    const port = await freePort()
    daemon = spawnCli(
      ["start"],
      cleanEnv({
        SUI_RPC_URL: "http://127.0.0.1:1",
        SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey(),
        SILVANA_REGISTRY_PACKAGE: "0x1",
        SILVANA_REGISTRY: "0x2",
        STATE_DIR: path.join(dir, "state"),
        GRPC_SOCKET_PATH: path.join(dir, "c.sock"),
        GRPC_TCP_ADDRESS: "127.0.0.1:0",
        HTTP_ADDRESS: `127.0.0.1:${port}`,
        AGENT_RUNTIME: "process"
      })
    )
    // the endpoint is up while start-up waits; several tries have failed by the time it reports 3
    const ready = await waitFor("three tries of the node", STALL_MS, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/ready`)
      const body = (await res.json()) as { ready: boolean; starting: string; attempts: number }
      return body.attempts >= 3 ? { status: res.status, body } : undefined
    })
    expect(ready.status).toBe(503)
    expect(ready.body.ready).toBe(false)
    expect(ready.body.starting).toMatch(/the Sui node at http:\/\/127\.0\.0\.1:1/)
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(503)

    const lines = daemon.output().split("\n").filter((l) => l.includes("127.0.0.1:1"))
    const warnings = lines.filter((l) => l.includes('"level":"WARN"'))
    expect(warnings, lines.join("\n")).toHaveLength(1)
    expect(warnings[0]).toMatch(/the Sui node at http:\/\/127\.0\.0\.1:1 does not answer \(.*ECONNREFUSED.*\); waiting for it/)
    // nothing else about it at INFO or above: the retries are quiet
    expect(lines.filter((l) => /"level":"(INFO|WARN|ERROR)"/.test(l))).toHaveLength(1)

    expect(await daemon.stop("SIGTERM")).not.toBeNull()
  })
})
