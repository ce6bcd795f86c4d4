/**
 * Pipeline: the proving pipeline of the followed app instances — actions arriving, blocks closed,
 * proofs and merges, blocks proved and settled, the latency of each stage, where each instance
 * stands, and the newest blocks with the time each stage took.
 */
import { fill, fmtInt, fmtMs, fmtTime, h, shortHex, stat } from "../dom.js"
import type { Snapshot } from "../types.js"

type Percentiles = { readonly samples: number; readonly p50: number | null; readonly p99: number | null }

const latency = (label: string, p: Percentiles, testid: string) =>
  h(
    "div",
    { class: "stat" },
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value", "data-testid": testid, "data-value": p.p50 === null ? undefined : String(p.p50) }, `p50 ${fmtMs(p.p50)}`),
    h("div", { class: "muted" }, `p99 ${fmtMs(p.p99)} · ${fmtInt(p.samples)} samples`)
  )

const after = (from: number, to: number | null) => (to === null ? "…" : `+${fmtMs(to - from)}`)

export const renderPipeline = (root: HTMLElement, s: Snapshot) => {
  const p = s.pipeline
  if (p === null) {
    fill(root, h("section", { class: "card" }, h("h2", {}, "Proving pipeline"), h("p", { class: "muted" }, "The proving pipeline does not run in this daemon (PIPELINE=false).")))
    return
  }
  fill(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Proving pipeline since start"),
      h(
        "div",
        { class: "stats" },
        stat("actions", fmtInt(p.actions), "pipeline-actions", p.actions),
        stat("blocks closed", fmtInt(p.blocksClosed), "pipeline-blocks-closed", p.blocksClosed),
        stat("proofs submitted", fmtInt(p.proofsSubmitted), "pipeline-proofs", p.proofsSubmitted),
        stat("proofs rejected", fmtInt(p.proofsRejected), "pipeline-rejected", p.proofsRejected, p.proofsRejected > 0 ? "bad" : undefined),
        stat("merge jobs", fmtInt(p.mergeJobsCreated), "pipeline-merges", p.mergeJobsCreated),
        stat("blocks proved", fmtInt(p.blocksProved), "pipeline-blocks-proved", p.blocksProved),
        stat("blocks settled", fmtInt(p.blocksSettled), "pipeline-blocks-settled", p.blocksSettled)
      )
    ),
    // an older daemon's snapshot has no stalls
    (p.stalls ?? []).length === 0
      ? null
      : h(
          "section",
          { class: "card", "data-testid": "pipeline-stalls" },
          h("h2", {}, "Stalled blocks"),
          h("ul", {}, (p.stalls ?? []).map((x) => h("li", { class: "bad", title: x.instance }, `block ${fmtInt(x.block)} of ${shortHex(x.instance)}: ${x.reason}`)))
        ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Latency"),
      h(
        "div",
        { class: "stats" },
        latency("action → block closed", p.latencyMs.actionToBlockClosed, "pipeline-lat-closed"),
        latency("block closed → proved", p.latencyMs.blockClosedToProved, "pipeline-lat-proved"),
        latency("block proved → settled", p.latencyMs.blockProvedToSettled, "pipeline-lat-settled"),
        latency("action → settled", p.latencyMs.actionToSettled, "pipeline-lat-total")
      )
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, `Instances (${p.instances.length})`),
      p.instances.length === 0
        ? h("p", { class: "muted" }, "No instance read yet.")
        : h(
            "table",
            { "data-testid": "pipeline-instances" },
            h("thead", {}, h("tr", {}, h("th", {}, "instance"), h("th", {}, "next sequence"), h("th", {}, "waiting actions"), h("th", {}, "last closed"), h("th", {}, "last proved"), h("th", {}, "last settled"))),
            h(
              "tbody",
              {},
              p.instances.map((i) =>
                h(
                  "tr",
                  { "data-testid": "pipeline-instance" },
                  h("td", { title: i.instance }, shortHex(i.instance)),
                  h("td", {}, fmtInt(i.sequence)),
                  h("td", {}, fmtInt(i.actionsWaiting)),
                  h("td", {}, fmtInt(i.lastBlockClosed)),
                  h("td", {}, fmtInt(i.lastBlockProved)),
                  h("td", {}, fmtInt(i.lastBlockSettled))
                )
              )
            )
          )
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Newest blocks"),
      p.blocks.length === 0
        ? h("p", { class: "muted" }, "No block closed since start.")
        : h(
            "table",
            { "data-testid": "pipeline-blocks" },
            h("thead", {}, h("tr", {}, h("th", {}, "instance"), h("th", {}, "block"), h("th", {}, "sequences"), h("th", {}, "closed"), h("th", {}, "proved"), h("th", {}, "settled"))),
            h(
              "tbody",
              {},
              p.blocks.map((b) =>
                h(
                  "tr",
                  { "data-testid": "pipeline-block", "data-settled": b.settledAt === null ? "false" : "true" },
                  h("td", { title: b.instance }, shortHex(b.instance)),
                  h("td", {}, b.blocks > 1 ? `${b.lastBlock - b.blocks + 1}–${b.lastBlock}` : String(b.lastBlock)),
                  h("td", {}, b.lastSequence < b.firstSequence ? "none" : `${b.firstSequence}–${b.lastSequence}`),
                  h("td", {}, fmtTime(b.closedAt)),
                  h("td", {}, after(b.closedAt, b.provedAt)),
                  h("td", {}, b.provedAt === null ? "…" : after(b.provedAt, b.settledAt))
                )
              )
            )
          )
    )
  )
}
