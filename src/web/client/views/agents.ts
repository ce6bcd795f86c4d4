/** Agents: live sessions (short id), their triple, runtime, uptime, jobs taken, messages and output; waiting triples; recent ends. */
import { fill, fmtDuration, fmtInt, fmtTime, h } from "../dom.js"
import type { AgentView, Snapshot } from "../types.js"

const open = new Set<string>()

const lines = (title: string, items: ReadonlyArray<Node>, key: string, testid: string) => {
  const d = h("details", { "data-key": key, "data-testid": testid }, h("summary", {}, `${title} (${items.length})`), h("div", { class: "log" }, items))
  if (open.has(key)) d.setAttribute("open", "")
  d.addEventListener("toggle", () => (d.hasAttribute("open") ? open.add(key) : open.delete(key)))
  return d
}

const agentCard = (a: AgentView, now: number) => {
  const ended = a.endedAt !== null
  return h(
    "article",
    { class: `agent${ended ? " ended" : ""}`, "data-testid": ended ? "agent-ended" : "agent-live", "data-session": a.session },
    h(
      "header",
      {},
      h("code", { class: "session" }, a.session),
      h("span", { class: "triple" }, `${a.developer}/${a.agent}/${a.agentMethod}`),
      h("span", { class: `badge ${a.runtime ?? ""}` }, a.runtime === "docker" ? "container" : a.runtime === "process" ? "process" : "starting")
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, ended ? "ran" : "uptime"),
      h("dd", {}, fmtDuration((a.endedAt ?? now) - a.startedAt)),
      h("dt", {}, "jobs taken"),
      h("dd", { "data-testid": "jobs-taken" }, fmtInt(a.jobsTaken)),
      a.name === null ? null : [h("dt", {}, "name"), h("dd", {}, h("code", {}, a.name))],
      a.exit === null ? null : [h("dt", {}, "ended"), h("dd", { class: a.exit.reason === "exited" && a.exit.exitCode === 0 ? "" : "bad" }, a.exit.message)]
    ),
    lines(
      "messages",
      a.messages.map((m) => h("div", { class: `line ${m.level}` }, h("span", { class: "t" }, fmtTime(m.at)), ` ${m.level} `, m.message)),
      `${a.session}:m`,
      "agent-messages"
    ),
    lines("output", a.output.map((l) => h("div", { class: "line" }, l)), `${a.session}:o`, "agent-output")
  )
}

export const renderAgents = (root: HTMLElement, s: Snapshot) => {
  const feed = s.feed
  const live = feed?.agents.live ?? []
  const ended = feed?.agents.ended ?? []
  const waiting = feed?.waiting ?? []
  fill(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, `Running agents (${live.length} of ${s.status.agents.max})`),
      live.length === 0 ? h("p", { class: "muted", "data-testid": "no-agents" }, "No agent is running.") : h("div", { class: "agents" }, live.map((a) => agentCard(a, s.at)))
    ),
    waiting.length === 0
      ? null
      : h(
          "section",
          { class: "card" },
          h("h2", {}, "Waiting"),
          h("ul", { class: "waiting", "data-testid": "waiting" }, waiting.map((w) => h("li", {}, h("b", {}, `${w.developer}/${w.agent}/${w.agentMethod}`), `: ${w.reason}`)))
        ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Recently ended"),
      ended.length === 0 ? h("p", { class: "muted" }, "None yet.") : h("div", { class: "agents" }, ended.map((a) => agentCard(a, s.at)))
    )
  )
}
