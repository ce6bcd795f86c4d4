/**
 * progress — the live view of `npm start`: agents running, jobs by state, completions and
 * throughput. On a terminal it redraws one status line; elsewhere it logs a line every few seconds.
 */
import { Clock, Duration, Effect, Metric, Schedule } from "effect"
import { JobStore } from "../layers/JobStore.js"
import * as Metrics from "../layers/Metrics.js"
import { Sessions } from "../layers/Sessions.js"

const counterValue = (m: typeof Metrics.jobsCompleted) => Effect.map(Metric.value(m), (s) => Number(s.count))

export const progress = (every: Duration.DurationInput = Duration.seconds(1)) =>
  Effect.gen(function* () {
    const store = yield* JobStore
    const sessions = yield* Sessions
    const tty = process.stdout.isTTY === true
    let last = { at: yield* Clock.currentTimeMillis, completed: yield* counterValue(Metrics.jobsCompleted) }
    let logged = 0
    const show = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const stats = yield* store.stats
      const live = (yield* sessions.list).length
      const completed = yield* counterValue(Metrics.jobsCompleted)
      const failed = yield* counterValue(Metrics.jobsFailed)
      const started = yield* counterValue(Metrics.jobsStarted)
      const rate = ((completed - last.completed) * 1000) / Math.max(1, now - last.at)
      last = { at: now, completed }
      const line =
        `agents ${live} | pending ${stats.pending} | running ${stats.starting + stats.started + stats.held} | ` +
        `started ${started} | completed ${completed} | failed ${failed} | ${rate.toFixed(1)} jobs/s`
      if (tty) {
        yield* Effect.sync(() => process.stdout.write(`\r\x1b[2K${line}`))
      } else if (now - logged >= 5000) {
        logged = now
        yield* Effect.logInfo(line)
      }
    })
    return yield* show.pipe(Effect.repeat(Schedule.spaced(every)), Effect.asVoid)
  })
