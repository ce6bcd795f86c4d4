/**
 * The status page: one EventSource on /v1/feed (snapshots every second, agent and transaction
 * events as they happen), five views drawn from the latest snapshot. The page never polls; the
 * Jobs view asks the daemon only when searching, or while an open timeline is not final.
 */
import "uplot/dist/uPlot.min.css"
import "./style.css"
import { fill, fmtDuration, h } from "./dom.js"
import type { AgentView, Snapshot, TxView } from "./types.js"
import { renderAgents } from "./views/agents.js"
import { makeJobsView } from "./views/jobs.js"
import { renderOverview, resizeOverview } from "./views/overview.js"
import { renderPipeline } from "./views/pipeline.js"
import { renderSettlement } from "./views/settlement.js"

type ViewName = "overview" | "agents" | "jobs" | "pipeline" | "settlement"
const VIEWS: ReadonlyArray<readonly [ViewName, string]> = [
  ["overview", "Overview"],
  ["agents", "Agents"],
  ["jobs", "Jobs"],
  ["pipeline", "Pipeline"],
  ["settlement", "Settlement"]
]

const app = document.getElementById("app")!
const conn = h("span", { class: "conn connecting", "data-testid": "connection" }, "connecting…")
const health = h("span", { class: "pill", "data-testid": "health" }, "…")
const meta = h("span", { class: "meta muted" })
const nav = h("nav", { class: "tabs" })
const panes = new Map<ViewName, HTMLElement>(VIEWS.map(([name]) => [name, h("main", { class: "pane", "data-view": name, hidden: true })]))
fill(
  app,
  h("header", { class: "top" }, h("h1", {}, "Silvana coordinator"), meta, h("span", { class: "grow" }), health, conn),
  nav,
  [...panes.values()]
)
const jobs = makeJobsView(panes.get("jobs")!)

let current: ViewName = "overview"
let latest: Snapshot | undefined

const render = () => {
  const s = latest
  if (s === undefined) return
  const pane = panes.get(current)!
  if (current === "overview") renderOverview(pane, s)
  else if (current === "agents") renderAgents(pane, s)
  else if (current === "pipeline") renderPipeline(pane, s)
  else if (current === "settlement") renderSettlement(pane, s)
  jobs.update(s, current === "jobs")
}

const show = (name: ViewName) => {
  current = name
  for (const [n, pane] of panes) pane.hidden = n !== name
  for (const b of nav.querySelectorAll("a")) b.classList.toggle("active", b.dataset["view"] === name)
  render()
}

for (const [name, title] of VIEWS) nav.append(h("a", { href: `#${name}`, "data-view": name, "data-testid": `tab-${name}` }, title))
const fromHash = () => {
  const name = location.hash.slice(1) as ViewName
  show(panes.has(name) ? name : "overview")
}
window.addEventListener("hashchange", fromHash)
window.addEventListener("resize", () => (current === "overview" ? resizeOverview() : undefined))

const onSnapshot = (s: Snapshot) => {
  latest = s
  const failing = s.status.failing
  const degraded = Object.entries(s.status.checks).filter(([, c]) => c.healthy && c.degraded === true).map(([name]) => name)
  health.className = `pill ${!s.status.healthy ? "bad" : degraded.length > 0 ? "warn" : "ok"}`
  health.textContent = !s.status.healthy ? `unhealthy: ${failing.join(", ")}` : degraded.length > 0 ? `healthy, degraded: ${degraded.join(", ")}` : "healthy"
  meta.textContent = `${s.chain} · up ${fmtDuration(s.status.uptime_seconds * 1000)}`
  document.title = `${s.status.healthy ? "" : "⚠ "}Silvana coordinator · ${s.chain}`
  app.dataset["snapshotAt"] = String(s.at)
  render()
}

/** Events arrive between snapshots: fold them into the latest one so the views move at once. */
const withAgent = (a: AgentView, ended: boolean) => {
  const f = latest?.feed
  if (latest === undefined || f === null || f === undefined) return
  const live = f.agents.live.filter((x) => x.session !== a.session)
  const gone = f.agents.ended.filter((x) => x.session !== a.session)
  latest = {
    ...latest,
    feed: { ...f, agents: ended ? { live, ended: [a, ...gone].slice(0, 20) } : { live: [...live, a], ended: gone } }
  }
  render()
}
const withTx = (tx: TxView) => {
  const f = latest?.feed
  if (latest === undefined || f === null || f === undefined) return
  latest = { ...latest, feed: { ...f, transactions: [tx, ...f.transactions].slice(0, 50) } }
  if (current === "settlement") render()
}

const connect = () => {
  const source = new EventSource("/v1/feed")
  source.addEventListener("open", () => {
    conn.className = "conn live"
    conn.textContent = "live"
  })
  source.addEventListener("error", () => {
    conn.className = "conn lost"
    conn.textContent = "reconnecting…"
  })
  source.addEventListener("snapshot", (e) => onSnapshot(JSON.parse((e as MessageEvent<string>).data) as Snapshot))
  source.addEventListener("agent_started", (e) => withAgent((JSON.parse((e as MessageEvent<string>).data) as { agent: AgentView }).agent, false))
  source.addEventListener("agent_ended", (e) => withAgent((JSON.parse((e as MessageEvent<string>).data) as { agent: AgentView }).agent, true))
  source.addEventListener("tx", (e) => withTx((JSON.parse((e as MessageEvent<string>).data) as { tx: TxView }).tx))
}

fromHash()
connect()
