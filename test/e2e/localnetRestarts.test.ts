/**
 * The coordinator keeps running while its node dies: a localnet process (with `--state`, so what
 * it acknowledged survives) is SIGKILLed and restarted on the same port several times while jobs
 * are created and run (process runtime). Every job whose creation was acknowledged is completed
 * on chain, by exactly one agent run, and nothing is left Running, Pending or Failed.
 *
 * RESTARTS_JOBS (default 200, kept modest for CI; the run is RESTARTS_JOBS=500) and
 * RESTARTS_KILLS (default 5) size the run.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import type { LocalnetHandle, LocalnetManifest } from "../../src/localnet/index.js"
import { bundleLocalnetCli, type LocalnetProcess, startLocalnetCli } from "../support/localnetCli.js"
import { type E2E, eventually, startE2E } from "./fixture.js"

const JOBS = Number(process.env["RESTARTS_JOBS"] ?? 200)
const KILLS = Number(process.env["RESTARTS_KILLS"] ?? 5)
const BATCH = 25

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localnet-restarts-"))
const bundle = path.join(dir, "localnet.mjs")
const stateFile = path.join(dir, "state.json")
const manifestFile = path.join(dir, "manifest.json")
let node: LocalnetProcess | undefined
let e2e: E2E | undefined

afterAll(async () => {
  await e2e?.close()
  await node?.kill()
  fs.rmSync(dir, { recursive: true, force: true })
})

const startNode = async (port: number): Promise<LocalnetManifest> => {
  node = await startLocalnetCli(bundle, manifestFile, ["--port", String(port), "--state", stateFile, "--checkpoint-ms", "100"])
  return node.manifest
}

const killNode = () => node!.kill()

describe("the coordinator while its localnet is killed and restarted", () => {
  it(`${KILLS} SIGKILLs of the node during ${JOBS} jobs: every acknowledged job completed once, nothing stuck`, async () => {
    await bundleLocalnetCli(bundle)
    const manifest = await startNode(0)
    const port = Number(new URL(manifest.grpcUrl).port)
    // The fixture needs only the manifest and a chain clock from a node in another process.
    const remote = { manifest, chain: { now: () => Date.now() }, close: async () => undefined } as unknown as LocalnetHandle
    const run = (e2e = await startE2E({
      localnet: remote,
      triples: [{ developer: "restarts", agent: "rec", method: "work", mode: "ok" }],
      env: { MAX_CONCURRENT_AGENTS: "2", DISPATCH_PREFETCH: "32", CHAIN_TRUTH_EVERY_SECS: "5" }
    }))

    const acknowledged: Array<bigint> = []
    const batches = Math.ceil(JOBS / BATCH)
    // Kills spread over the creations: after batch k·batches/(KILLS+1).
    const killAfter = new Set(Array.from({ length: KILLS }, (_, i) => Math.max(1, Math.floor(((i + 1) * batches) / (KILLS + 1)))))
    let kills = 0
    for (let b = 0; b < batches; b++) {
      const count = Math.min(BATCH, JOBS - b * BATCH)
      // A creation whose answer was lost with the node is not acknowledged (it may exist or not).
      const made = await run.createJobs("work", count).catch(() => [] as ReadonlyArray<bigint>)
      acknowledged.push(...made)
      if (killAfter.has(b + 1) && kills < KILLS) {
        await killNode()
        kills += 1
        // the node is down while the coordinator settles and dispatches; then it comes back
        await new Promise((r) => setTimeout(r, 500))
        await startNode(port)
      }
    }
    while (kills < KILLS) {
      await killNode()
      kills += 1
      await startNode(port)
    }
    expect(acknowledged.length).toBeGreaterThan(JOBS / 2)

    const left = async () => run.chainJobs(acknowledged)
    // A read may meet the node just restarted (the client's channel still backing off): ask again.
    await eventually(async () => (await left().catch(() => undefined))?.length === 0, 600_000, "every acknowledged job completed on chain")
    const done = run.records().filter((r) => r.outcome === "completed")
    for (const seq of acknowledged) expect(done.filter((r) => r.seq === seq).length, `job ${seq}`).toBe(1)
    expect(kills).toBe(KILLS)
  }, 1_200_000)
})
