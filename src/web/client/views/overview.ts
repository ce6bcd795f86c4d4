/** Overview: agents and permits, jobs by state, totals, throughput of the last hour, latency, chain lag, gas, health. */
import uPlot from "uplot"
import { fill, fmtInt, fmtMs, fmtSui, h, stat } from "../dom.js"
import type { Snapshot } from "../types.js"

let chart: uPlot | undefined
let chartHost: HTMLElement | undefined

const chartData = (s: Snapshot): uPlot.AlignedData => {
  const t = s.feed?.throughput
  if (t === undefined) return [[], [], [], []]
  const xs = t.completed.map((_, i) => (t.from + i * t.bucketMs) / 1000)
  return [xs, [...t.completed], [...t.failed], [...t.started]]
}

const css = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback

const drawChart = (host: HTMLElement, s: Snapshot) => {
  const width = Math.max(240, host.clientWidth)
  const data = chartData(s)
  if (chart !== undefined && chartHost === host) {
    if (Math.abs(chart.width - width) > 4) chart.setSize({ width, height: 220 })
    chart.setData(data)
    return
  }
  chart?.destroy()
  chartHost = host
  const axis = { stroke: css("--muted", "#888"), grid: { stroke: css("--grid", "#8883") }, ticks: { stroke: css("--grid", "#8883") } }
  chart = new uPlot(
    {
      width,
      height: 220,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, max)] } },
      axes: [axis, { ...axis, label: `jobs per ${(s.feed?.throughput.bucketMs ?? 10_000) / 1000} s` }],
      series: [
        {},
        { label: "completed", stroke: css("--ok", "#2a9d5c"), width: 2, fill: css("--ok-fill", "#2a9d5c22") },
        { label: "failed", stroke: css("--bad", "#d1495b"), width: 2 },
        { label: "started", stroke: css("--accent", "#3a6ea5"), width: 1, dash: [4, 4] }
      ]
    },
    data,
    host
  )
}

export const renderOverview = (root: HTMLElement, s: Snapshot) => {
  const st = s.status
  const j = st.jobs
  const running = j.starting + j.started + j.held
  const feed = s.feed
  const lag = s.chain_lag
  const failing = st.failing.length
  const degraded = Object.values(st.checks).filter((c) => c.healthy && c.degraded === true).length
  let chartBox = root.querySelector<HTMLElement>("[data-testid=throughput-chart]")
  if (chartBox === null) {
    chartBox = h("div", { class: "chart", "data-testid": "throughput-chart" })
  }
  fill(
    root,
    h(
      "section",
      { class: "cards" },
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Agents"),
        h(
          "div",
          { class: "stats" },
          stat("running", fmtInt(st.agents.active), "agents-running", st.agents.active),
          stat("permits free", fmtInt(Math.max(0, st.agents.max - st.agents.active)), "permits-free", Math.max(0, st.agents.max - st.agents.active)),
          stat("max", fmtInt(st.agents.max), "agents-max", st.agents.max)
        )
      ),
      h(
        "div",
        { class: "card wide" },
        h("h2", {}, "Jobs now"),
        h(
          "div",
          { class: "stats" },
          stat("pending", fmtInt(j.pending), "jobs-pending", j.pending),
          stat("running", fmtInt(running), "jobs-running", running),
          stat("completed", fmtInt(j.completed), "jobs-completed", j.completed, "ok"),
          stat("failed", fmtInt(j.failed), "jobs-failed", j.failed, j.failed > 0 ? "bad" : undefined)
        ),
        h("p", { class: "hint" }, "In the coordinator's store: completed and failed jobs leave it once their outcome is settled on chain.")
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Since start"),
        h(
          "div",
          { class: "stats" },
          stat("started", fmtInt(feed?.totals.started), "total-started", feed?.totals.started),
          stat("completed", fmtInt(feed?.totals.completed), "total-completed", feed?.totals.completed, "ok"),
          stat("failed", fmtInt(feed?.totals.failed), "total-failed", feed?.totals.failed)
        )
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Dispatch latency"),
        h(
          "div",
          { class: "stats" },
          stat("p50", fmtMs(feed?.dispatchLatencyMs.p50), "latency-p50", feed?.dispatchLatencyMs.p50),
          stat("p99", fmtMs(feed?.dispatchLatencyMs.p99), "latency-p99", feed?.dispatchLatencyMs.p99)
        ),
        h("p", { class: "hint" }, `created on chain → handed to an agent; last ${fmtInt(feed?.dispatchLatencyMs.samples ?? 0)} jobs`)
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Chain"),
        h(
          "div",
          { class: "stats" },
          stat("checkpoint", fmtInt(lag.last_checkpoint), "chain-checkpoint", lag.last_checkpoint),
          stat("behind", `${fmtInt(lag.lag_checkpoints)} cp`, "chain-lag", lag.lag_checkpoints),
          stat("behind by", fmtMs(lag.lag_ms), "chain-lag-ms", lag.lag_ms)
        ),
        h("p", { class: "hint" }, `${s.chain}`)
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Gas"),
        h(
          "div",
          { class: "stats" },
          stat("balance", fmtSui(s.settlement?.balance_mist), "gas-balance", undefined, s.settlement?.low_balance === true ? "bad" : undefined)
        ),
        s.settlement?.low_balance === true ? h("p", { class: "hint bad" }, "gas is low: fund the coordinator's address") : null
      )
    ),
    h("section", { class: "card" }, h("h2", {}, "Throughput, last hour"), chartBox),
    h(
      "section",
      { class: "card" },
      h("h2", {}, failing > 0 ? `Health: ${failing} failing` : degraded > 0 ? `Health: healthy, ${degraded} degraded` : "Health: all parts healthy"),
      h(
        "ul",
        { class: "health" },
        Object.entries(st.checks).map(([name, c]) =>
          h(
            "li",
            { class: !c.healthy ? "bad" : c.degraded === true ? "warn" : "ok", "data-testid": `health-${name}` },
            h("span", { class: "dot" }),
            h("b", {}, name),
            !c.healthy || c.degraded === true ? ` ${c.healthy ? "degraded" : "failing"}${c.error === null ? "" : `: ${c.error}`}` : " ok"
          )
        )
      )
    )
  )
  drawChart(chartBox, s)
}

/** The chart follows its box when the window changes size. */
export const resizeOverview = () => {
  if (chart !== undefined && chartHost !== undefined && chartHost.clientWidth > 0) {
    chart.setSize({ width: Math.max(240, chartHost.clientWidth), height: 220 })
  }
}
