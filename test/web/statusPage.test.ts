/**
 * The live status page in a real headless Chromium, against the daemon as operators run it:
 * `tsx src/main.ts start` with no SUI_RPC_URL (the embedded demo: localnet in-process, demo jobs
 * served by the example agent on the process runtime), in a temporary STATE_DIR on free ports.
 *
 * Every page error and console error fails the test that saw it. Screenshots of each view (and of
 * the overview at phone width) are written under test-results/status-page/ for review.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { mkdtempSync } from "node:fs"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Child, cleanEnv, freePort, ROOT, spawnCli, waitFor } from "../ops/processes.js"
import { ensureChromium, launch } from "./chromium.js"

const executable = ensureChromium()
const SHOTS = path.join(ROOT, "test-results", "status-page")

/** The daemon's token: STATE_DIR/api-token (wherever under STATE_DIR the daemon keeps it). */
const findToken = (dir: string): string | undefined => {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name)
    if (name === "api-token") return readFileSync(p, "utf8").trim()
    if (statSync(p).isDirectory()) {
      const found = findToken(p)
      if (found !== undefined) return found
    }
  }
  return undefined
}

const SESSION_HEX = /0x[0-9a-f]{64}/

/** The little of the DOM the in-page callbacks use (this file is type-checked without the DOM library). */
declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null
}

describe.skipIf(executable === undefined)("the status page in a browser", () => {
  let daemon: Child
  let base: string
  let token: string
  let browser: Awaited<ReturnType<typeof launch>>
  let page: Page
  const errors: Array<string> = []
  const requests: Array<{ url: string; cookie: string | undefined; status: number | undefined }> = []

  const api = async (p: string) => {
    const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    return (await res.json()) as Record<string, unknown>
  }
  const value = (testid: string) =>
    page.locator(`[data-testid=${testid}]`).first().getAttribute("data-value").then((v) => (v === null ? undefined : Number(v)))
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
  const show = async (view: string) => {
    await page.click(`[data-testid=tab-${view}]`)
    await page.waitForSelector(`main[data-view=${view}]:not([hidden])`)
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-web-"))
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    const stateDir = path.join(dir, "state")
    daemon = spawnCli(
      ["start"],
      cleanEnv({
        HTTP_ADDRESS: `127.0.0.1:${port}`,
        STATE_DIR: stateDir,
        GRPC_SOCKET_PATH: path.join(dir, "coordinator.sock"),
        GRPC_TCP_ADDRESS: "127.0.0.1:0",
        AGENT_RUNTIME: "process",
        // A backstop so that agents end even when the demo never runs dry on a loaded machine. Not
        // shorter: on a busy machine an agent process takes many seconds to start, and the demo's
        // settle agent holds its job while blocks keep coming; stopped at 40 s, it was stopped
        // before it settled anything, again and again (a CI run saw no block settled in 6 min).
        CONTAINER_TIMEOUT_SECS: "120"
      })
    )
    await waitFor("the daemon to be ready", 120_000, async () => {
      const res = await fetch(`${base}/ready`).catch(() => undefined)
      return res?.status === 200 ? true : undefined
    })
    token = await waitFor("the API token", 10_000, async () => findToken(stateDir))
    browser = await launch(executable!)
    page = await browser.context.newPage()
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`))
    page.on("console", (m) => (m.type() === "error" ? errors.push(`console: ${m.text()}`) : undefined))
    page.on("request", (r) => {
      const entry: (typeof requests)[number] = { url: r.url(), cookie: undefined, status: undefined }
      requests.push(entry)
      void r.allHeaders().then((h) => (entry.cookie = h["cookie"]))
      void r.response().then((res) => (entry.status = res?.status()))
    })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await daemon?.stop()
  }, 60_000)

  it("serves nothing without the token; signs a browser in with it, and every request of the page carries it", async () => {
    const refused = async (p: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}${p}`, { headers, redirect: "manual" })
      const text = await res.text()
      expect(res.status, p).toBe(401)
      expect(res.headers.get("set-cookie"), p).toBeNull()
      expect(text, p).not.toMatch(/<html|event: snapshot|silvana-demo/)
    }
    for (const p of ["/", "/index.html", "/v1/feed", "/v1/feed/jobs", "/v1/feed/job?app_instance=0x1&sequence=1", "/v1/status"]) await refused(p)
    await refused(`/?token=${"0".repeat(64)}`)
    await refused("/", { cookie: `silvana_token=${"0".repeat(64)}` })

    await page.goto(`${base}/?token=${token}`)
    expect(new URL(page.url()).search).toBe("")
    await page.waitForSelector("[data-testid=connection].live")
    await page.waitForSelector("[data-testid=jobs-pending][data-value]")
    const html = await page.content()
    const script = /<script src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    // the page's own files and its event stream: nothing without the token, everything with it
    await refused(script!)
    const asset = await fetch(`${base}${script}`, { headers: { cookie: `silvana_token=${token}` } })
    expect(asset.status).toBe(200)
    expect(asset.headers.get("cache-control")).toMatch(/immutable/)
    const etag = asset.headers.get("etag")!
    expect((await fetch(`${base}${script}`, { headers: { cookie: `silvana_token=${token}`, "if-none-match": etag } })).status).toBe(304)

    const own = requests.filter((r) => r.url.startsWith(base) && !r.url.includes("?token="))
    await waitFor("the page's requests to be answered", 20_000, async () => (own.every((r) => r.status !== undefined && r.cookie !== undefined) ? true : undefined))
    expect(own.map((r) => new URL(r.url).pathname)).toEqual(expect.arrayContaining(["/", script!, "/v1/feed"]))
    expect(own.some((r) => r.url.endsWith(".css"))).toBe(true)
    for (const r of own) {
      expect(r.cookie, r.url).toContain(`silvana_token=${token}`)
      expect([200, 304], r.url).toContain(r.status)
    }
    expect(errors).toEqual([])
  }, 120_000)

  it("shows the counts of /v1/status, and they move as jobs complete", async () => {
    await show("overview")
    const read = () =>
      page.evaluate(() => {
        const v = (id: string) => Number(document.querySelector(`[data-testid=${id}]`)?.getAttribute("data-value"))
        return { pending: v("jobs-pending"), running: v("jobs-running"), completed: v("jobs-completed"), failed: v("jobs-failed"), agents: v("agents-running") }
      })
    const counts = (s: Record<string, unknown>) => {
      const j = s["jobs"] as Record<string, number>
      return { pending: j["pending"], running: j["starting"]! + j["started"]! + j["held"]!, completed: j["completed"], failed: j["failed"], agents: (s["agents"] as { active: number }).active }
    }
    // The demo never stops: right after a fresh snapshot is drawn, ask /v1/status, until a moment
    // where nothing moved in between. A page showing other numbers never matches and fails here.
    await waitFor("the page to show the counts of /v1/status", 120_000, async () => {
      const at = await page.locator("#app").getAttribute("data-snapshot-at")
      await page.waitForFunction((prev) => document.getElementById("app")?.dataset["snapshotAt"] !== prev, at, { timeout: 10_000 })
      const [shown, status] = await Promise.all([read(), api("/v1/status")])
      return JSON.stringify(shown) === JSON.stringify(counts(status)) ? true : undefined
    })
    const first = (await value("total-completed")) ?? 0
    await waitFor("the completed total to move", 90_000, async () => (((await value("total-completed")) ?? 0) > first ? true : undefined))
    // the same checks as /health (503 while one fails, on a loaded machine: still the same list)
    const health = (await (await fetch(`${base}/health`)).json()) as { checks: Record<string, unknown> }
    expect(Object.keys(health.checks).length).toBeGreaterThan(3)
    for (const name of Object.keys(health.checks)) {
      await expect(page.locator(`[data-testid=health-${name}]`).textContent()).resolves.toMatch(new RegExp(`^${name} (ok|degraded|failing)`))
    }
    // (the chain check can time out for a refresh on a loaded machine: then no checkpoint is known)
    await waitFor("the processed checkpoint to show", 60_000, async () => (((await value("chain-checkpoint")) ?? 0) > 0 ? true : undefined))
    expect(await page.locator("[data-testid=throughput-chart] canvas").count()).toBeGreaterThan(0)
    await shot("overview")
    await page.setViewportSize({ width: 390, height: 844 })
    await shot("overview-phone")
    await page.setViewportSize({ width: 1280, height: 900 })
    expect(errors).toEqual([])
  }, 240_000)

  it("shows a job's timeline with its start and completion transactions", async () => {
    await show("jobs")
    await page.selectOption("[data-testid=job-state]", "settled")
    const timeline = page.locator("[data-testid=job-timeline]")
    // Settled jobs include the demo's failing ones: open them in turn until a completed one shows.
    const seq = await waitFor("a settled, completed job to be listed", 120_000, async () => {
      // This search's own results (an older table stays up until the new answer draws)
      const before = await page.locator("[data-testid=job-results]").getAttribute("data-search")
      await page.click("[data-testid=job-search]")
      await page.waitForFunction((b) => {
        const n = document.querySelector("[data-testid=job-results]")?.getAttribute("data-search")
        return n != null && n !== b
      }, before)
      const rows = await page
        .locator("[data-testid=job-row][data-state=settled]")
        .evaluateAll((els) => els.slice(0, 5).map((e) => ({ app: e.getAttribute("data-app") ?? "", seq: e.getAttribute("data-seq") ?? "" })))
      for (const { app, seq: s } of rows) {
        await page.locator(`[data-testid=job-row][data-app="${app}"][data-seq="${s}"]`).first().click()
        await page.waitForFunction(
          (want) => {
            const h3 = document.querySelector("[data-testid=job-timeline] h3")
            return h3 != null && h3.getAttribute("data-seq") === want.s && h3.getAttribute("data-app") === want.app
          },
          { s, app }
        )
        if ((await timeline.locator("[data-step=completed]").count()) > 0) return s
      }
      return undefined
    })
    await expect(timeline.locator("h3").textContent()).resolves.toContain(`Job ${seq} `)
    const steps = await timeline.locator("[data-step]").evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))
    expect(steps.slice(0, 1)).toEqual(["created"])
    for (const kind of ["start_tx", "started", "handed_out", "completed", "settled"]) expect(steps).toContain(kind)
    expect(steps.indexOf("start_tx")).toBeLessThan(steps.indexOf("handed_out"))
    expect(steps.indexOf("handed_out")).toBeLessThan(steps.lastIndexOf("settled"))
    const startDigest = await timeline.locator("[data-step=start_tx] [data-digest]").first().getAttribute("data-digest")
    // the completion's settlement (a pipeline job's calls settle around it too)
    const completion = timeline.locator("[data-step=settled]", { hasText: /complete: done/ }).last()
    const doneDigest = await completion.locator("[data-digest]").first().getAttribute("data-digest")
    expect(startDigest).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/)
    expect(doneDigest).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/)
    expect(doneDigest).not.toBe(startDigest)
    await expect(timeline.locator("[data-step=handed_out] [data-testid=step-session]").textContent()).resolves.toMatch(/^0x[0-9a-f]{8}…$/)
    // a localnet has no public explorer: digests are shown, not linked
    expect(await timeline.locator("a.explorer").count()).toBe(0)
    await shot("jobs")
    expect(errors).toEqual([])
  }, 180_000)

  it("follows agents as they start and end, showing short session ids only", async () => {
    await show("agents")
    const sessions = (testid: string) =>
      page.locator(`[data-testid=${testid}]`).evaluateAll((els) => els.map((e) => e.getAttribute("data-session") ?? ""))
    const liveAtStart = new Set(await sessions("agent-live"))
    const endedAtStart = new Set(await sessions("agent-ended"))
    const seenLive = new Set(liveAtStart)
    let started: string | undefined
    let ended: string | undefined
    await waitFor("an agent to start and one to end on the page", 270_000, async () => {
      for (const s of await sessions("agent-live")) {
        seenLive.add(s)
        if (!liveAtStart.has(s)) started ??= s
      }
      // the add agent's (the demo's pipeline agents end too, with other lines)
      for (const s of await sessions("agent-ended")) {
        if (ended !== undefined || endedAtStart.has(s) || !seenLive.has(s)) continue
        const card = (await page.locator(`[data-testid=agent-ended][data-session="${s}"]`).first().textContent()) ?? ""
        if (/silvana-demo\/add\/add/.test(card)) ended = s
      }
      return started !== undefined && ended !== undefined ? true : undefined
    })
    expect(started).toMatch(/^0x[0-9a-f]{8}…$/)
    expect(ended).toMatch(/^0x[0-9a-f]{8}…$/)
    const endedCard = page.locator(`[data-testid=agent-ended][data-session="${ended}"]`)
    await expect(endedCard.textContent()).resolves.toMatch(/silvana-demo\/add\/add/)
    await expect(endedCard.textContent()).resolves.toMatch(/process/)
    await endedCard.locator("[data-testid=agent-messages] summary").click()
    await expect(endedCard.locator("[data-testid=agent-messages] .log").textContent()).resolves.toMatch(/info (add agent started|sum of \d+ numbers|no job left)/)
    const text = (await page.locator("main[data-view=agents]").textContent()) ?? ""
    expect(text).not.toMatch(SESSION_HEX)
    expect(text).not.toMatch(/suiprivkey/)
    await shot("agents")
    expect(errors).toEqual([])
  }, 330_000)

  it("shows the proving pipeline: actions, blocks closed, proved and settled with their latencies, as /v1/status and /metrics have them", async () => {
    await show("pipeline")
    // the demo's actions go through blocks (5 s apart), proofs, merges and the settle agent
    await waitFor("a block of the demo to be settled", 360_000, async () => (((await value("pipeline-blocks-settled")) ?? 0) > 0 ? true : undefined)).catch(
      async (e: Error) => {
        // where the pipeline stood, and what the daemon warned of: a failure here names its cause
        const status: Record<string, unknown> = await api("/v1/status").catch((x: Error) => ({ unreadable: x.message }))
        const warnings = daemon.output().split("\n").filter((l) => /"level":"(WARN|ERROR)"/.test(l))
        throw new Error(
          `${e.message}\npipeline: ${JSON.stringify(status["pipeline"])}\njobs: ${JSON.stringify(status["jobs"])}\nagents: ${JSON.stringify(status["agents"])}\n` +
            `the daemon's last warnings:\n${warnings.slice(-40).join("\n")}`
        )
      }
    )
    const read = () =>
      page.evaluate(() => {
        const v = (id: string) => Number(document.querySelector(`[data-testid=${id}]`)?.getAttribute("data-value"))
        return { actions: v("pipeline-actions"), blocksClosed: v("pipeline-blocks-closed"), blocksProved: v("pipeline-blocks-proved"), blocksSettled: v("pipeline-blocks-settled") }
      })
    // as for the job counts: right after a fresh snapshot, until nothing moved in between
    await waitFor("the page to show the pipeline of /v1/status", 120_000, async () => {
      const at = await page.locator("#app").getAttribute("data-snapshot-at")
      await page.waitForFunction((prev) => document.getElementById("app")?.dataset["snapshotAt"] !== prev, at, { timeout: 10_000 })
      const [shown, status] = await Promise.all([read(), api("/v1/status")])
      const p = status["pipeline"] as { actions: number; blocksClosed: number; blocksProved: number; blocksSettled: number }
      return JSON.stringify(shown) === JSON.stringify({ actions: p.actions, blocksClosed: p.blocksClosed, blocksProved: p.blocksProved, blocksSettled: p.blocksSettled }) ? true : undefined
    })
    const shown = await read()
    expect(shown.actions).toBeGreaterThan(0)
    expect(shown.blocksClosed).toBeGreaterThanOrEqual(shown.blocksProved)
    expect(shown.blocksProved).toBeGreaterThanOrEqual(shown.blocksSettled)
    // every stage has a latency once a block is settled
    for (const id of ["pipeline-lat-closed", "pipeline-lat-proved", "pipeline-lat-settled", "pipeline-lat-total"]) expect(await value(id), id).toBeGreaterThan(0)
    expect(await value("pipeline-proofs")).toBeGreaterThan(0)
    expect(await page.locator("[data-testid=pipeline-block][data-settled=true]").count()).toBeGreaterThan(0)
    await expect(page.locator("[data-testid=pipeline-instance]").first().textContent()).resolves.toMatch(/^0x[0-9a-f]{8}…[0-9a-f]{4}/)
    // the same counters on /metrics (they only grow: at least what the page showed)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    const metric = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(metrics)?.[1])
    expect(metric("silvana_pipeline_actions_total")).toBeGreaterThanOrEqual(shown.actions)
    expect(metric("silvana_pipeline_blocks_settled_total")).toBeGreaterThanOrEqual(shown.blocksSettled)
    expect(metric("silvana_pipeline_action_to_settled_ms_count")).toBeGreaterThan(0)
    await shot("pipeline")
    expect(errors).toEqual([])
  }, 600_000)

  it("lists recent settlement transactions and the outbox", async () => {
    await show("settlement")
    await page.waitForSelector("[data-testid=tx-row]")
    expect(await value("tx-total")).toBeGreaterThan(0)
    expect(await value("outbox-queued")).toBeGreaterThanOrEqual(0)
    await expect(page.locator("[data-testid=tx-row]").first().textContent()).resolves.toMatch(/success|failed|not executed/)
    await shot("settlement")
    expect(errors).toEqual([])
  }, 120_000)
})
