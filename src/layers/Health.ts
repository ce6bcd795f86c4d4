/**
 * Health — named checks registered by the parts of the daemon (chain stream, agent runtime, gRPC
 * listeners, Journal, store) and aggregated into one report for `GET /health`, plus the readiness
 * flag `GET /ready` answers, set once start-up is complete.
 *
 * A check is an Effect returning `{ healthy, details }`. A check that fails, dies or takes longer
 * than its timeout counts as unhealthy with the reason in its details, so one stuck part can never
 * hang the health endpoint.
 */
import { Cause, Context, Duration, Effect, Layer, Ref, Scope } from "effect"

export interface CheckResult {
  readonly healthy: boolean
  readonly details: Readonly<Record<string, unknown>>
}

export type Check = Effect.Effect<CheckResult, unknown>

export interface HealthReport {
  readonly healthy: boolean
  readonly ready: boolean
  /** Names of the checks that are not healthy. */
  readonly failing: ReadonlyArray<string>
  readonly checks: Readonly<Record<string, CheckResult>>
  readonly uptimeSeconds: number
}

export interface HealthService {
  /** Adds (or replaces) a named check. Removed again when the given scope closes, if any. */
  readonly register: (name: string, check: Check) => Effect.Effect<void>
  /** Adds a check for the life of the current scope. */
  readonly registerScoped: (name: string, check: Check) => Effect.Effect<void, never, Scope.Scope>
  readonly unregister: (name: string) => Effect.Effect<void>
  /** Runs every check concurrently, each bounded by the check timeout. */
  readonly report: Effect.Effect<HealthReport>
  readonly setReady: (ready: boolean) => Effect.Effect<void>
  readonly ready: Effect.Effect<boolean>
}

const describe = (e: unknown): string =>
  e instanceof Error ? e.message : typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e)

export class Health extends Context.Tag("silvana/Health")<Health, HealthService>() {
  /** The registry; `checkTimeout` bounds each check (default 2 s). */
  static readonly make = (options: { readonly checkTimeout?: Duration.DurationInput } = {}) =>
    Effect.gen(function* () {
      const checks = yield* Ref.make(new Map<string, Check>())
      const readyRef = yield* Ref.make(false)
      const startedAt = Date.now()
      const timeout = options.checkTimeout ?? Duration.seconds(2)

      const register = (name: string, check: Check) =>
        Ref.update(checks, (m) => new Map(m).set(name, check))
      const unregister = (name: string) =>
        Ref.update(checks, (m) => {
          const next = new Map(m)
          next.delete(name)
          return next
        })

      const runOne = (check: Check): Effect.Effect<CheckResult> =>
        check.pipe(
          Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`check timed out after ${Duration.format(timeout)}`) }),
          Effect.catchAllCause((cause) =>
            Effect.succeed<CheckResult>({
              healthy: false,
              details: { error: Cause.isFailType(cause) ? describe(cause.error) : Cause.pretty(cause).split("\n")[0] }
            })
          )
        )

      const report = Effect.gen(function* () {
        const all = [...(yield* Ref.get(checks)).entries()]
        const results = yield* Effect.forEach(all, ([name, check]) => Effect.map(runOne(check), (r) => [name, r] as const), {
          concurrency: "unbounded"
        })
        const failing = results.filter(([, r]) => !r.healthy).map(([name]) => name)
        return {
          healthy: failing.length === 0,
          ready: yield* Ref.get(readyRef),
          failing,
          checks: Object.fromEntries(results),
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000)
        } satisfies HealthReport
      }).pipe(Effect.withSpan("Health.report"))

      return Health.of({
        register,
        registerScoped: (name, check) => Effect.acquireRelease(register(name, check), () => unregister(name)),
        unregister,
        report,
        setReady: (r) => Ref.set(readyRef, r),
        ready: Ref.get(readyRef)
      })
    })

  static readonly layer = Layer.effect(Health, Health.make())
}
