/**
 * The coordinator's own image, built offline by scripts/build-coordinator-image.sh (the bundled
 * daemon on a bare Node 22 root filesystem, run as nobody), started with `docker run` against a
 * localnet in this process: it becomes ready and healthy, follows the chain, and `docker stop`
 * makes it shut down gracefully with exit code 0.
 */
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import { promisify } from "node:util"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { Localnet, type LocalnetManifest } from "../../src/localnet/index.js"
import { describeDocker, dockerContext } from "../runtime/dockerSuite.js"
import { STALL_MS } from "../support/wait.js"
import { freePort, get, waitFor } from "./processes.js"

const run = promisify(execFile)
const IMAGE = "silvana/coordinator:dev"
const BACKSTOP_MS = 900_000

const docker = async (...args: Array<string>) => (await run("docker", args, { maxBuffer: 16 * 1024 * 1024 })).stdout.trim()

describeDocker("the coordinator image", () => {
  const name = `silvana-image-test-${randomBytes(4).toString("hex")}`
  let scope: Scope.CloseableScope
  let manifest: LocalnetManifest
  let base: string

  beforeAll(async () => {
    if (!dockerContext.available) throw new Error(`this test needs a Docker engine: ${dockerContext.reason}`)
    await run("bash", ["scripts/build-coordinator-image.sh", IMAGE], { timeout: BACKSTOP_MS })
    scope = await Effect.runPromise(Scope.make())
    manifest = (await Effect.runPromise(Localnet.make({ port: 0, checkpointMs: 250 }).pipe(Scope.extend(scope)))).manifest
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    // Host networking: the container reaches the localnet on 127.0.0.1, and the test its HTTP port.
    const env = {
      SUI_RPC_URL: manifest.grpcUrl,
      SUI_PRIVATE_KEY: manifest.keys.coordinator,
      SILVANA_REGISTRY_PACKAGE: manifest.packageId,
      SILVANA_REGISTRY: manifest.registryId,
      HTTP_ADDRESS: `127.0.0.1:${port}`,
      GRPC_TCP_ADDRESS: "127.0.0.1:0",
      AGENT_RUNTIME: "process",
      LOG_LEVEL: "info"
    }
    await docker("run", "-d", "--name", name, "--network", "host", ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), IMAGE)
  }, BACKSTOP_MS)

  afterAll(async () => {
    await docker("rm", "-f", name).catch(() => undefined)
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  it("runs as nobody, becomes ready and healthy on the chain, and stops gracefully on docker stop", async () => {
    expect(await docker("inspect", "-f", "{{.Config.User}}", name)).toBe("65534:65534")
    await waitFor("the container's daemon to be ready", STALL_MS, async () => ((await get(base, "/ready")).status === 200 ? true : undefined))
    const health = await waitFor("a healthy report", STALL_MS, async () => {
      const r = await get(base, "/health")
      return r.status === 200 ? (JSON.parse(r.text) as { checks: Record<string, { details: Record<string, unknown> }> }) : undefined
    })
    expect(health.checks["chain"]?.details["connected"]).toBe(true)

    await docker("stop", "-t", "60", name)
    expect(await docker("inspect", "-f", "{{.State.ExitCode}}", name)).toBe("0")
    const logs = (await run("docker", ["logs", name], { maxBuffer: 16 * 1024 * 1024 })) as { stdout: string; stderr: string }
    const text = logs.stdout + logs.stderr
    expect(text).toMatch(/coordinator running/)
    expect(text).toMatch(/coordinator stopped/)
    // the coordinator key never reaches the log
    expect(text).not.toContain(manifest.keys.coordinator)
  }, BACKSTOP_MS)
})
