/**
 * The embedded demo and MAX_CONCURRENT_AGENTS: the demo's proving pipeline runs four agents at
 * once, so without the variable the demo takes 4 (daemon.test checks that); a cap the operator set
 * below 4 is kept, and the pipeline part stays off with one line saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { apiToken, type Child, get, startDaemon } from "./processes.js"

const READY_MS = 240_000

describe("the embedded demo with MAX_CONCURRENT_AGENTS=2 set", () => {
  let daemon: Child
  let base: string
  let stateDir: string
  beforeAll(async () => {
    const d = await startDaemon("silvana-ops-cap-", { MAX_CONCURRENT_AGENTS: "2" }, READY_MS)
    daemon = d.child
    base = d.base
    stateDir = d.env["STATE_DIR"]!
  }, READY_MS + 30_000)
  afterAll(async () => {
    await daemon?.stop()
  })

  it("keeps the operator's cap and leaves the pipeline off, saying why", async () => {
    const status = JSON.parse((await get(base, "/v1/status", apiToken(stateDir))).text)
    expect(status.agents.max).toBe(2)
    expect(daemon.output()).toContain("proving pipeline demo not started: MAX_CONCURRENT_AGENTS=2 is set")
    expect(daemon.output()).not.toContain("proving pipeline demo running")
  })
})
