/**
 * The `localnet` CLI as real processes: start with --manifest/--state, read the manifest, seed,
 * create jobs, inject a fault, then SIGTERM (state saved). Jobs are checked over native gRPC.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { JobCreatedEvent } from "../../src/chain/moveTypes.js"
import { waitForOutput, waitUntil } from "../support/wait.js"
import { drain, eventType, filterOf, grpcClient } from "./serverHelpers.js"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const cliModule = path.join(repo, "src/localnet/cli.ts")
const entry = `import(${JSON.stringify(cliModule)}).then((m) => m.runLocalnetCli(process.argv.slice(1)))`

const localnet = (args: string[]): ChildProcess =>
  spawn(process.execPath, ["--import", "tsx", "-e", entry, "--", ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] })

const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = localnet(args)
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("exit", (code) => resolve({ code, stdout, stderr }))
  })

const isJson = (s: string) => {
  try {
    JSON.parse(s)
    return true
  } catch {
    return false
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localnet-cli-"))
let server: ChildProcess | undefined

afterAll(() => {
  if (server && server.exitCode === null) server.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("localnet CLI", () => {
  it("runs a node, writes the manifest, seeds, creates jobs, injects faults and saves state on SIGTERM", async () => {
    const manifestFile = path.join(dir, "manifest.json")
    const stateFile = path.join(dir, "state.json")
    server = localnet(["--port", "0", "--manifest", manifestFile, "--state", stateFile, "--checkpoint-ms", "100"])
    const exited = new Promise<number | null>((resolve) => server!.on("exit", (code) => resolve(code)))
    // the node prints its manifest (one JSON document) on stdout once it serves
    const printed = await waitForOutput(server, "the manifest on stdout", (out) => isJson(out), ["stdout"])
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"))
    expect(Object.keys(manifest).sort()).toEqual(["appInstanceId", "chainId", "grpcUrl", "keys", "packageId", "registryId"])
    expect(Object.keys(manifest.keys).sort()).toEqual(["admin", "coordinator"])
    expect(manifest.grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(manifest.keys.admin).toMatch(/^suiprivkey1/)
    expect(manifest.packageId).toMatch(/^0x[0-9a-f]{64}$/)
    // The same manifest is printed on stdout.
    expect(JSON.parse(printed)).toEqual(manifest)

    const seeded = await run(["seed", "--manifest", manifestFile, "--developer", "dev", "--agent", "adder", "--method", "add", "--image", "example/add:1"])
    expect(seeded.stderr).toBe("")
    expect(seeded.code).toBe(0)
    expect(seeded.stdout).toMatch(/seeded dev\/adder\/add/)

    const created = await run(["create-jobs", "--manifest", manifestFile, "--count", "5", "--method", "add", "--data", "0x0102"])
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/created 5\/5/)
    const sequences = /job sequences: ([\d,]+)/.exec(created.stdout)![1]!.split(",").map(BigInt)
    expect(sequences).toHaveLength(5)

    const client = grpcClient(manifest)
    let events: bigint[] = []
    await waitUntil("5 JobCreatedEvents listed", async () => {
      const frames = await drain(
        client.ledgerService.listEvents({ filter: filterOf(eventType(`${manifest.packageId}::jobs::JobCreatedEvent`)) }).responses
      )
      events = frames.filter((f) => f.event).map((f) => BigInt(JobCreatedEvent.parse(f.event!.contents!.value!).job_sequence))
      return events.length >= 5
    })
    expect(events).toEqual(sequences)
    const data = JobCreatedEvent.parse(
      (await drain(client.ledgerService.listEvents({ filter: filterOf(eventType(`${manifest.packageId}::jobs::JobCreatedEvent`)) }).responses))
        .find((f) => f.event)!.event!.contents!.value!
    ).data
    expect(Array.from(data)).toEqual([1, 2])

    const fault = await run(["fault", "fail-next-executions", "--manifest", manifestFile, "--count", "1", "--kind", "unavailable"])
    expect(fault.code).toBe(0)
    expect(JSON.parse(fault.stdout).status.failNextExecutions).toEqual({ count: 1, kind: "unavailable" })
    const failing = await run(["create-jobs", "--manifest", manifestFile, "--count", "1", "--method", "add"])
    expect(failing.code).not.toBe(0)
    expect(failing.stdout + failing.stderr).toMatch(/unavailable|overloaded/i)

    // SIGTERM closes the node's scope: the state file is rewritten on the way out.
    fs.rmSync(stateFile)
    server.kill("SIGTERM")
    expect(await exited).not.toBeNull()
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8"))
    expect(state.format).toBe("silvana-localnet/1")
  }, 600_000)
})
