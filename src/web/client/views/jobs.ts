/**
 * Jobs: search recent jobs by app instance, sequence, job id, triple or state, and one job's
 * timeline — created on chain, start transaction, handed out, reported, settled — with explorer
 * links. Queries go to the daemon on demand (the open timeline follows the snapshots until final).
 */
import { fill, fmtInt, fmtTime, h, shortHex } from "../dom.js"
import { digestView } from "../links.js"
import type { Explorer, JobRecord, Snapshot, Step } from "../types.js"

const STATES = ["", "pending", "starting", "started", "held", "completed", "failed", "terminated", "settled", "removed"]
const FINAL = new Set(["settled", "removed"])

const STEP_TITLES: Record<string, string> = {
  created: "created on chain",
  start_tx: "start transaction",
  started: "started (job id assigned)",
  handed_out: "handed out",
  completed: "reported completed",
  failed: "reported failed",
  terminated: "reported terminated",
  settled: "settled on chain",
  pending_again: "pending again (retry)",
  removed: "left the store"
}

const getJson = async <A>(url: string): Promise<A> => {
  const res = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" })
  if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`)
  return (await res.json()) as A
}

const stepView = (s: Step, explorers: ReadonlyArray<Explorer>) =>
  h(
    "li",
    { class: `step ${s.kind}`, "data-step": s.kind },
    h("span", { class: "t" }, fmtTime(s.at)),
    h("b", {}, STEP_TITLES[s.kind] ?? s.kind),
    s.session === null ? null : h("span", {}, " session ", h("code", { "data-testid": "step-session" }, s.session)),
    s.attempt === null ? null : h("span", { class: "muted" }, ` attempt ${s.attempt}`),
    s.result === null ? null : h("span", { class: "muted" }, ` ${s.result}`),
    s.digest === null ? null : h("div", {}, "tx ", digestView(s.digest, explorers)),
    s.error === null ? null : h("div", { class: "bad" }, s.error)
  )

/** One job's heading, summary line and steps. */
const timelineView = (job: JobRecord, explorers: ReadonlyArray<Explorer>) => [
  h("h3", { "data-seq": job.sequence, "data-app": job.appInstance }, `Job ${job.sequence} of `, h("code", { title: job.appInstance }, shortHex(job.appInstance, 12))),
  h(
    "p",
    { class: "muted" },
    `${job.developer}/${job.agent}/${job.agentMethod} · state `,
    h("b", { "data-testid": "timeline-state" }, job.state),
    ` · attempts ${job.attempts}`,
    job.jobId === null ? null : [" · job id ", h("code", {}, job.jobId)]
  ),
  h("ol", { class: "timeline" }, (job.steps ?? []).map((s) => stepView(s, explorers)))
]

/** The search results; a row opens its job's timeline on click or Enter. */
const resultsTable = (jobs: ReadonlyArray<JobRecord>, open: (j: JobRecord) => void) =>
  h(
    "table",
    {},
    h("thead", {}, h("tr", {}, h("th", {}, "app instance"), h("th", {}, "seq"), h("th", { class: "hide-s" }, "triple"), h("th", {}, "state"), h("th", { class: "hide-s" }, "attempts"), h("th", {}, "updated"))),
    h(
      "tbody",
      {},
      jobs.map((j) => {
        const row = h(
          "tr",
          { class: "clickable", tabindex: 0, "data-testid": "job-row", "data-app": j.appInstance, "data-seq": j.sequence, "data-state": j.state },
          h("td", {}, h("code", { title: j.appInstance }, shortHex(j.appInstance, 8))),
          h("td", {}, j.sequence),
          h("td", { class: "hide-s" }, `${j.developer}/${j.agent}/${j.agentMethod}`),
          h("td", {}, h("span", { class: `state ${j.state}` }, j.state)),
          h("td", { class: "hide-s" }, fmtInt(j.attempts)),
          h("td", {}, fmtTime(j.updatedAt))
        )
        row.addEventListener("click", () => open(j))
        row.addEventListener("keydown", (ev) => (ev.key === "Enter" ? open(j) : undefined))
        return row
      })
    )
  )

export const makeJobsView = (root: HTMLElement) => {
  let explorers: ReadonlyArray<Explorer> = []
  let selected: { app: string; seq: string; state: string } | undefined
  const q = h("input", { type: "search", name: "q", placeholder: "app instance, sequence, job id or developer/agent/method", "data-testid": "job-query", autocomplete: "off" })
  const state = h("select", { name: "state", "data-testid": "job-state" }, STATES.map((s) => h("option", { value: s }, s === "" ? "any state" : s)))
  const results = h("div", { class: "results", "data-testid": "job-results" })
  const timeline = h("div", { class: "timeline-box", "data-testid": "job-timeline" })
  const form = h("form", { class: "search", role: "search" }, q, state, h("button", { type: "submit", "data-testid": "job-search" }, "Search"))

  let views = 0
  const showTimeline = async (app: string, seq: string) => {
    const mine = ++views
    try {
      const { job } = await getJson<{ job: JobRecord }>(`/v1/feed/job?app_instance=${encodeURIComponent(app)}&sequence=${encodeURIComponent(seq)}`)
      if (mine !== views) return
      if (selected?.app === app && selected.seq === seq) selected = { app, seq, state: job.state }
      fill(timeline, ...timelineView(job, explorers))
    } catch (e) {
      if (mine === views) fill(timeline, h("p", { class: "bad" }, `cannot load the timeline: ${(e as Error).message}`))
    }
  }

  let searches = 0
  const search = async () => {
    const params = new URLSearchParams({ q: q.value, state: state.value, limit: "50" })
    // Only the newest search may draw: an older answer arriving late must not replace it.
    const mine = ++searches
    try {
      const { jobs } = await getJson<{ jobs: ReadonlyArray<JobRecord> }>(`/v1/feed/jobs?${params}`)
      if (mine !== searches) return
      const open = (j: JobRecord) => {
        // The open timeline is this job's from the click on: a snapshot arriving before its answer
        // refreshes this job, never the one shown before.
        selected = { app: j.appInstance, seq: j.sequence, state: j.state }
        void showTimeline(j.appInstance, j.sequence).then(() => {
          if (window.innerWidth <= 900) timeline.scrollIntoView({ block: "start" })
        })
      }
      fill(results, jobs.length === 0 ? h("p", { class: "muted" }, "No recent job matches.") : resultsTable(jobs, open))
      results.dataset["search"] = String(mine)
    } catch (e) {
      if (mine === searches) fill(results, h("p", { class: "bad" }, `search failed: ${(e as Error).message}`))
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault()
    void search()
  })
  fill(
    root,
    h(
      "div",
      { class: "jobs-layout" },
      h("section", { class: "card" }, h("h2", {}, "Jobs"), form, results),
      h("section", { class: "card timeline-card" }, h("h2", {}, "Timeline"), timeline)
    )
  )
  fill(timeline, h("p", { class: "muted" }, "Pick a job to see its timeline."))
  let searched = false
  return {
    /** Called on every snapshot: the open timeline follows its job until it is final. */
    update: (s: Snapshot, visible: boolean) => {
      explorers = s.explorers
      if (!visible) return
      if (!searched) {
        searched = true
        void search()
      }
      if (selected !== undefined && !FINAL.has(selected.state)) void showTimeline(selected.app, selected.seq)
    }
  }
}
