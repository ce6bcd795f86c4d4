/**
 * The proving pipeline run by two coordinator daemons (real processes, each with its own key, both
 * following the same two app instances, sharing a data-availability store: a local Walrus fake) on
 * the localnet, while one of them is killed with SIGKILL
 * 5 times and restarted: 200 actions end up in blocks that are all proved and settled, in order,
 * each sequence counted exactly once in its block's proof (the ledger check), and no merge job is
 * created twice (every `JobCreatedEvent` of a merge, read from the localnet's checkpoints, names
 * a distinct block and range, and there are as many as the blocks needed).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, openSync } from "node:fs"
import * as path from "node:path"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { JobCreatedEvent } from "../../src/chain/moveTypes.js"
import { normalizeAppInstance } from "../../src/domain/ids.js"
import { startWalrusFake } from "../layers/walrusFake.js"
import { startPipeline, type Pipeline, TEST_PIPELINE_TIMERS, waitAllSettled } from "../support/pipeline.js"
import { expectLedgerComplete } from "../support/pipelineExpect.js"
import { waitUntil } from "../support/wait.js"
import { daemonEnv, fundedKey } from "./fixture.js"

const ACTIONS = 200
const KILLS = 5

let p: Pipeline
/** The data-availability store both coordinators share (each one's local store holds only its own proofs). */
let walrus: Awaited<ReturnType<typeof startWalrusFake>>
const children = new Set<ChildProcess>()
/** Merge jobs created, by `instance|block|sequences`: how many times. */
const merges = new Map<string, number>()

const startDaemon = (name: string, key: string) => {
  const dir = path.join(p.dir, name)
  mkdirSync(dir, { recursive: true })
  const env = daemonEnv(p.localnet.manifest, dir, {
    SUI_PRIVATE_KEY: key,
    SILVANA_APP_INSTANCES: p.instances.join(","),
    AGENT_PROCESS_COMMANDS: p.processCommands,
    DA_BACKEND: "walrus",
    WALRUS_PUBLISHER_URL: walrus.url,
    WALRUS_AGGREGATOR_URL: walrus.url,
    MAX_CONCURRENT_AGENTS: "4",
    CONTAINER_TIMEOUT_SECS: "3600",
    ...TEST_PIPELINE_TIMERS
  })
  // each run's log, for a failure's post-mortem
  const log = openSync(path.join(dir, "daemon.log"), "a")
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "start"], { env: { ...env, LOG_LEVEL: "info" }, stdio: ["ignore", log, log] })
  children.add(child)
  child.once("exit", () => children.delete(child))
  return child
}

/** Moves with every merge created and block settled (a block alone can take minutes on a loaded machine). */
const progress = () => `${[...merges.values()].reduce((a, b) => a + b, 0)}/${p.ledger.entries().length}`

describe("proving pipeline with two coordinators", () => {
  beforeAll(async () => {
    p = await startPipeline({ instances: 2, blockIntervalMs: 300, coordinator: "none" })
    walrus = await startWalrusFake()
    console.log(`pipeline with two coordinators: daemon logs under ${p.dir}/{a,b}/daemon.log`)
    const pkg = normalizeSuiAddress(p.localnet.manifest.packageId)
    p.localnet.chain.onCheckpoint((cp) => {
      for (const tx of cp.transactions ?? []) {
        for (const e of tx.events?.events ?? []) {
          const [evPkg, module, name] = (e.eventType ?? "").split("::")
          if (module !== "jobs" || name !== "JobCreatedEvent" || evPkg === undefined || normalizeSuiAddress(evPkg) !== pkg) continue
          const j = JobCreatedEvent.parse(e.contents!.value!)
          if (j.app_instance_method !== "merge") continue
          const k = `${normalizeAppInstance(j.app_instance)}|${j.block_number}|${(j.sequences ?? []).join(",")}`
          merges.set(k, (merges.get(k) ?? 0) + 1)
        }
      }
    })
  }, 120_000)
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL")
    await p?.close()
    await walrus?.close()
  })

  it(`${ACTIONS} actions over 2 instances, one coordinator killed ${KILLS} times: every block proved and settled, each sequence once, no merge created twice`, async () => {
    const other = await fundedKey(p.localnet)
    let victim = startDaemon("a", p.localnet.manifest.keys.coordinator)
    startDaemon("b", other)
    const perTx = 10
    const rounds = KILLS
    const txsPerRound = ACTIONS / perTx / rounds
    let k = 0
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < txsPerRound; i++) {
        await p.add(p.instances[k++ % 2]!, perTx)
        if (i % 2 === 1) await new Promise((r) => setTimeout(r, 150))
      }
      // kill once the pipeline moved under this coordinator pair: a block settled since the last kill
      const before = p.ledger.entries().length
      await waitUntil(`a block settled before kill ${round + 1}`, () => p.ledger.entries().length > before, { progress, pollMs: 100 })
      victim.kill("SIGKILL")
      await new Promise<void>((r) => (victim.exitCode !== null || victim.signalCode !== null ? r() : victim.once("exit", () => r())))
      victim = startDaemon("a", p.localnet.manifest.keys.coordinator)
    }
    await waitAllSettled(p, progress)
    const expectedMerges = await expectLedgerComplete(p)
    expect([...merges.entries()].filter(([, n]) => n > 1)).toEqual([])
    expect(merges.size).toBe(expectedMerges)
  }, 1_800_000)
})
