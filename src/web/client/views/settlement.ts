/** Settlement: the outbox depth, totals, and the recent transactions (ops, gas, digest, result). */
import { fill, fmtInt, fmtSui, fmtTime, h, stat } from "../dom.js"
import { digestView } from "../links.js"
import type { Snapshot } from "../types.js"

export const renderSettlement = (root: HTMLElement, s: Snapshot) => {
  const st = s.settlement
  const txs = s.feed?.transactions ?? []
  fill(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Outbox"),
      st === null
        ? h("p", { class: "muted" }, "No settlement in this daemon.")
        : h(
            "div",
            { class: "stats" },
            stat("queued ops", fmtInt(st.queued), "outbox-queued", st.queued),
            stat("in flight txs", fmtInt(st.inflight_transactions), "outbox-inflight", st.inflight_transactions),
            stat("transactions", fmtInt(st.transactions), "tx-total", st.transactions),
            stat("failed txs", fmtInt(st.failed_transactions), "tx-failed", st.failed_transactions, (st.failed_transactions ?? 0) > 0 ? "bad" : undefined),
            stat("ops settled", fmtInt(st.executed_ops), "ops-settled", st.executed_ops),
            stat("gas balance", fmtSui(st.balance_mist), "settlement-gas")
          )
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, `Recent transactions (${txs.length})`),
      txs.length === 0
        ? h("p", { class: "muted" }, "None yet.")
        : h(
            "table",
            { "data-testid": "tx-table" },
            h("thead", {}, h("tr", {}, h("th", {}, "time"), h("th", {}, "ops"), h("th", { class: "hide-s" }, "kinds"), h("th", {}, "gas"), h("th", {}, "digest"), h("th", {}, "result"))),
            h(
              "tbody",
              {},
              txs.map((t) =>
                h(
                  "tr",
                  { "data-testid": "tx-row" },
                  h("td", {}, fmtTime(t.at)),
                  h("td", {}, fmtInt(t.ops)),
                  h("td", { class: "hide-s" }, Object.entries(t.kinds).map(([k, n]) => `${k} ${n}`).join(", ")),
                  h("td", {}, t.gasUsedMist === null ? "–" : fmtSui(t.gasUsedMist)),
                  h("td", {}, digestView(t.digest, s.explorers)),
                  h("td", { class: t.result === "success" ? "ok" : "bad", title: t.detail ?? "" }, t.result.replace("_", " "))
                )
              )
            )
          )
    )
  )
}
