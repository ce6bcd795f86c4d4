/**
 * Reports — the durable sink for what agents report (complete, fail, terminate). The AgentApi
 * answers an agent only after `record` has succeeded, so an acknowledged report survives a crash.
 * In the daemon this is the settlement outbox (written to the Journal); `layerMemory` keeps the
 * reports in memory for tests and for embedding the API alone.
 */
import { Context, Data, Effect, Layer, Ref } from "effect"
import type { JobReport } from "../domain/job.js"
import { Settlement } from "./Settlement.js"

export class ReportNotDurable extends Data.TaggedError("ReportNotDurable")<{ readonly reason: string }> {
  override get message() {
    return `the report could not be stored: ${this.reason}`
  }
}

export interface ReportsService {
  /** Stores a report durably; succeeds only once it would survive a crash. */
  readonly record: (report: JobReport) => Effect.Effect<void, ReportNotDurable>
}

/** The in-memory list behind `Reports.layerMemory`. */
export class MemoryReports extends Context.Tag("silvana/MemoryReports")<MemoryReports, Ref.Ref<ReadonlyArray<JobReport>>>() {}

export class Reports extends Context.Tag("silvana/Reports")<Reports, ReportsService>() {
  /** Keeps reports in a list; tests read it back through `MemoryReports`. */
  static readonly layerMemory: Layer.Layer<Reports | MemoryReports> = Layer.effect(
    Reports,
    Effect.map(MemoryReports, (recorded) =>
      // Appends in place: copying the list on every report would make a long run quadratic.
      Reports.of({
        record: (r) =>
          Ref.update(recorded, (all) => {
            ;(all as Array<JobReport>).push(r)
            return all
          })
      })
    )
  ).pipe(Layer.provideMerge(Layer.effect(MemoryReports, Ref.make<ReadonlyArray<JobReport>>([]))))
}

/**
 * Reports written to the settlement outbox: `record` returns once the operation is in the
 * Journal, and the settle loop carries it to chain.
 */
export const reportsFromSettlement: Layer.Layer<Reports, never, Settlement> = Layer.effect(
  Reports,
  Effect.map(Settlement, (settlement) =>
    Reports.of({
      record: (r) => {
        const op =
          r.kind === "complete"
            ? settlement.complete(r.appInstance, r.jobSequence, r.sessionId)
            : r.kind === "fail"
              ? settlement.fail(r.appInstance, r.jobSequence, r.error ?? "", r.sessionId)
              : settlement.terminate(r.appInstance, r.jobSequence)
        return Effect.mapError(op, (e) => new ReportNotDurable({ reason: e.message }))
      }
    })
  )
)
