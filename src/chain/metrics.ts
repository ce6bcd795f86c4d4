/** Metrics of the chain layers (Effect `Metric`s; exported by whatever exporter the daemon installs). */
import { Metric, MetricLabel } from "effect"

export const chainEventsDelivered = Metric.counter("silvana_chain_events_total", {
  description: "Coordination events delivered by ChainEvents",
  incremental: true
})
export const chainReconnects = Metric.counter("silvana_chain_reconnects_total", {
  description: "Event stream reconnects (errors and silence)",
  incremental: true
})
export const chainReplayGaps = Metric.counter("silvana_chain_replay_gaps_total", {
  description: "Gaps that reached pruned history and could not be replayed",
  incremental: true
})
export const chainRewinds = Metric.counter("silvana_chain_rewinds_total", {
  description: "Times the node's tip was behind the event cursor (node restored, rolled back or replaced); each is followed by a full resync",
  incremental: true
})
export const settlementTransactions = Metric.counter("silvana_settlement_transactions_total", {
  description: "Settlement transactions executed",
  incremental: true
})
export const settlementOps = Metric.counter("silvana_settlement_ops_total", {
  description: "Job operations settled on chain",
  incremental: true
})
export const settlementAborts = Metric.counter("silvana_settlement_aborts_total", {
  description: "Settlement transactions that hit a Move abort",
  incremental: true
})
export const settlementLowBalance = Metric.gauge("silvana_settlement_low_balance", {
  description: "1 while no gas coin is usable (settlement waits for funds)"
})
export const chainRepairs = Metric.counter("silvana_chain_repairs_total", {
  description:
    "Journal/chain divergences repaired, by kind (resubmit_complete, resubmit_fail, resubmit_terminate, resubmit_start, redispatch, lost_start)",
  incremental: true
})
export const chainDivergent = Metric.gauge("silvana_chain_divergent_jobs", {
  description: "Jobs whose journal and chain disagreed at the last comparison (0 once repaired)"
})

/** Unary requests this process sent to the Sui full node, by gRPC method (label `method`). */
export const nodeRequests = Metric.counter("silvana_node_requests_total", {
  description: "Unary requests sent to the Sui full node, by gRPC method (reads, transactions)",
  incremental: true
})
const methodLabels = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
/** Counts one unary request (synchronous: called from the gRPC transport's interceptor). */
export const unsafeNodeRequest = (method: string): void => {
  let tags = methodLabels.get(method)
  if (tags === undefined) {
    tags = [MetricLabel.make("method", method)]
    methodLabels.set(method, tags)
  }
  nodeRequests.unsafeUpdate(1, tags)
}
