/**
 * progress — the live view of `npm start`: agents running, jobs by state, completions and
 * throughput, and the proving pipeline's actions, blocks and action → settled latency. On a terminal it redraws one status line; elsewhere it logs a line every few seconds.
 *
 * The counters are `Metrics.jobTotals`, the same `/v1/status` serves (and `status` prints). The
 * rate is over a sliding window (30 s by default): jobs settle in batches, so a per-tick rate
 * would jump between 0 and the batch size while the flow is steady.
 */
import { Clock, Duration, Effect, Option, Schedule } from "effect"
import { JobStore } from "../layers/JobStore.js"
import * as Metrics from "../layers/Metrics.js"
import { PipelineStatus } from "../layers/PipelineStatus.js"
import { Sessions } from "../layers/Sessions.js"

/** Completions per second over the samples of the last `windowMs` (pure, for tests). */
export const slidingRate = (samples: ReadonlyArray<{ readonly at: number; readonly completed: number }>): number => {
  const first = samples[0]
  const last = samples[samples.length - 1]
  if (first === undefined || last === undefined || last.at <= first.at) return 0
  return ((last.completed - first.completed) * 1000) / (last.at - first.at)
}

const seconds = (ms: number | null) => (ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`)

/** The proving pipeline's part of the line (empty when there is none or it has seen no action). */
const pipelinePart = Effect.flatMap(Effect.serviceOption(PipelineStatus), (p) =>
  Option.isNone(p)
    ? Effect.succeed("")
    : Effect.map(p.value.view, (v) =>
        v.actions === 0 && v.blocksClosed === 0
          ? ""
          : ` || actions ${v.actions} | blocks closed ${v.blocksClosed}, proved ${v.blocksProved}, settled ${v.blocksSettled} | ` +
            `action → settled p50 ${seconds(v.latencyMs.actionToSettled.p50)}`
      )
)

export const progress = (every: Duration.DurationInput = Duration.seconds(1), window: Duration.DurationInput = Duration.seconds(30)) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const sessions = yield* Sessions
    const tty = process.stdout.isTTY === true
    const windowMs = Duration.toMillis(window)
    let samples: Array<{ at: number; completed: number }> = []
    let logged = 0
    const show = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const stats = yield* store.stats
      const live = (yield* sessions.list).length
      const totals = yield* Metrics.jobTotals
      samples.push({ at: now, completed: totals.completed })
      // keep one sample at or before the window's start, so the window is always full once it can be
      while (samples.length > 2 && samples[1]!.at <= now - windowMs) samples = samples.slice(1)
      const rate = slidingRate(samples)
      const line =
        `agents ${live} | pending ${stats.pending} | running ${stats.starting + stats.started + stats.held} | ` +
        `started ${totals.started} | completed ${totals.completed} | failed ${totals.failed} | ${rate.toFixed(1)} jobs/s` +
        (yield* pipelinePart)
      if (tty) {
        yield* Effect.sync(() => process.stdout.write(`\r\x1b[2K${line}`))
      } else if (now - logged >= 5000) {
        logged = now
        yield* Effect.logInfo(line)
      }
    })
    return yield* show.pipe(Effect.repeat(Schedule.spaced(every)), Effect.asVoid)
  })
