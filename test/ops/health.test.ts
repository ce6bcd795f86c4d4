/**
 * /health follows the chain: a daemon process against a localnet (in this process) reports
 * healthy, turns 503 naming `chain` when the localnet stops, and returns to 200 when the localnet
 * comes back on the same port with the same state. The operator CLI's `status` exit code follows.
 */
import { mkdtempSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Localnet, type LocalnetManifest } from "../../src/localnet/index.js"
import { apiToken, type Child, cleanEnv, freePort, get, runCli, spawnCli, waitFor } from "./processes.js"
import { STALL_MS } from "../support/wait.js"

/** Backstop of a test on a loaded machine; its waits give up sooner when nothing moves. */
const BACKSTOP_MS = 600_000

describe("/health with the localnet stopped and restarted", () => {
  let dir: string
  let grpcPort: number
  let scope: Scope.CloseableScope | undefined
  let daemon: Child
  let base: string
  let env: NodeJS.ProcessEnv

  const startLocalnet = async (): Promise<LocalnetManifest> => {
    const s = await Effect.runPromise(Scope.make())
    const handle = await Effect.runPromise(
      Localnet.make({ port: grpcPort, checkpointMs: 250, stateFile: path.join(dir, "localnet.json"), saveEveryMs: 200 }).pipe(Scope.extend(s))
    )
    scope = s
    return handle.manifest
  }
  const stopLocalnet = async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    scope = undefined
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "silvana-ops-health-"))
    grpcPort = await freePort()
    const manifest = await startLocalnet()
    const httpPort = await freePort()
    base = `http://127.0.0.1:${httpPort}`
    env = cleanEnv({
      SUI_RPC_URL: manifest.grpcUrl,
      SUI_PRIVATE_KEY: manifest.keys.coordinator,
      SILVANA_REGISTRY_PACKAGE: manifest.packageId,
      SILVANA_REGISTRY: manifest.registryId,
      HTTP_ADDRESS: `127.0.0.1:${httpPort}`,
      STATE_DIR: path.join(dir, "state"),
      GRPC_SOCKET_PATH: path.join(dir, "coordinator.sock"),
      GRPC_TCP_ADDRESS: "127.0.0.1:0",
      AGENT_RUNTIME: "process"
    })
    daemon = spawnCli(["start"], env)
    await waitFor("the daemon to be ready", STALL_MS, async () => ((await get(base, "/ready")).status === 200 ? true : undefined))
  }, BACKSTOP_MS)

  afterAll(async () => {
    await daemon?.stop()
    await stopLocalnet()
  })

  const health = async () => {
    const r = await get(base, "/health")
    return { status: r.status, body: JSON.parse(r.text) as { failing: Array<string>; checks: Record<string, { healthy: boolean; details: Record<string, unknown> }> } }
  }

  it("200 → 503 naming the chain → 200", async () => {
    const up = await waitFor("healthy", STALL_MS, async () => {
      const h = await health()
      return h.status === 200 ? h : undefined
    })
    expect(up.body.checks["chain"]?.details["connected"]).toBe(true)
    expect(Number(up.body.checks["chain"]?.details["latest_checkpoint"])).toBeGreaterThan(0)
    const withCursor = await waitFor("a stored cursor", STALL_MS, async () => {
      const h = await health()
      return h.body.checks["chain"]?.details["last_checkpoint"] !== null ? h : undefined
    })
    const chain = withCursor.body.checks["chain"]!.details
    expect(chain["lag_checkpoints"]).toBe(Number(chain["latest_checkpoint"]) - Number(chain["last_checkpoint"]))
    expect(typeof chain["lag_ms"]).toBe("number")

    await stopLocalnet()
    const down = await waitFor("503", STALL_MS, async () => {
      const h = await health()
      return h.status === 503 ? h : undefined
    })
    expect(down.body.failing).toContain("chain")
    expect(String(down.body.checks["chain"]?.details["error"])).toMatch(/full node at http:\/\/127\.0\.0\.1:\d+ does not answer/)
    // the other parts are still fine: only the chain is named
    expect(down.body.checks["grpc"]?.healthy).toBe(true)
    const metrics = (await get(base, "/metrics")).text
    expect(metrics).toMatch(/^silvana_health_check_up\{check="chain"\} 0$/m)
    const status = await runCli(["status", "--url", base], env)
    expect(status.code).toBe(1)
    expect(status.output).toMatch(/UNHEALTHY \(chain\)/)

    await startLocalnet()
    const back = await waitFor("200 again", STALL_MS, async () => {
      const h = await health()
      return h.status === 200 ? h : undefined
    })
    expect(back.body.failing).toEqual([])
    expect(back.body.checks["chain"]?.details["connected"]).toBe(true)

    // production mode: the coordinator key it signs with appears nowhere it prints or serves
    const served = await Promise.all(["/health", "/metrics", "/v1/status", "/v1/config", "/v1/agents", "/v1/jobs"].map((p) => get(base, p, apiToken(env["STATE_DIR"]!))))
    expect(JSON.parse(served[3]!.text)).toMatchObject({ SUI_PRIVATE_KEY: "<redacted>", SUI_RPC_URL: env["SUI_RPC_URL"] })
    const everything = [daemon.output(), status.output, ...served.map((r) => r.text)].join("\n")
    expect(everything).not.toContain(env["SUI_PRIVATE_KEY"]!)
    expect(everything).not.toMatch(/suiprivkey1/i)
  }, BACKSTOP_MS)
})
