/**
 * Admission and the one error mapping of every agent API call: a draining server answers
 * UNAVAILABLE, one over its in-flight bound RESOURCE_EXHAUSTED; then the handler's Effect runs and
 * its outcome becomes a reply or a gRPC status (errors.ts), a defect being logged and hidden.
 */
import { Cause, Effect, Exit, type Fiber, Option, Runtime } from "effect"
import { ServerError, Status } from "nice-grpc"
import type { JobStore } from "../JobStore.js"
import type { Reports } from "../Reports.js"
import type { Sessions } from "../Sessions.js"
import { API_ERROR_TAGS, type ApiError, internalError, Overloaded, ShuttingDown, toServerError } from "./errors.js"

/** What every handler may use. */
export type ApiServices = JobStore | Sessions | Reports

export interface Admission {
  /** Runs one call's Effect under admission and maps its outcome to the reply or a ServerError. */
  readonly serve: <A>(effect: Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal) => Promise<A>
  /**
   * Like `serve` for a call that is answered synchronously when it can (fastPath.ts): `now` gives
   * the reply, or the Effect that produces it, which then runs as in `serve`. A reply given at
   * once is returned as it is (the gRPC server awaits whatever a handler returns); a refusal of
   * admission is thrown.
   */
  readonly serveNow: <A>(now: () => A | Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal) => A | Promise<A>
  /** Throws UNAVAILABLE once draining (for RPCs that would otherwise answer without admission). */
  readonly refuseIfDraining: () => Promise<void>
  readonly inFlight: () => number
  readonly isDraining: () => boolean
  /** Marks the server draining; false when it already was. */
  readonly startDraining: () => boolean
}

const isApiError = (e: unknown): e is ApiError =>
  typeof e === "object" &&
  e !== null &&
  "_tag" in e &&
  (API_ERROR_TAGS as ReadonlyArray<string>).includes((e as { _tag: string })._tag)

const shuttingDown = () => toServerError(new ShuttingDown({ message: "the coordinator is shutting down" }))

/**
 * Awaits a call's fiber that had to wait (a durable write), interrupting it if the call is
 * cancelled: an observer on the fiber itself, no second fiber to await it.
 */
const awaitCall = <A>(fiber: Fiber.RuntimeFiber<A, ApiError>, signal: AbortSignal): Promise<Exit.Exit<A, ApiError>> =>
  new Promise((resolve) => {
    const cancel = () => fiber.unsafeInterruptAsFork(fiber.id())
    signal.addEventListener("abort", cancel, { once: true })
    fiber.addObserver((exit) => {
      signal.removeEventListener("abort", cancel)
      resolve(exit)
    })
  })

export const makeAdmission = (runtime: Runtime.Runtime<ApiServices>, maxInFlight: number): Admission => {
  const run = Runtime.runPromiseExit(runtime)
  // A forked fiber runs at once on this stack until it finishes or must wait.
  const fork = Runtime.runFork(runtime)
  let inFlight = 0
  let draining = false

  const admit = () => {
    if (draining) throw shuttingDown()
    if (inFlight >= maxInFlight) throw toServerError(new Overloaded({ message: "too many calls in flight; retry with backoff" }))
  }

  /** The reply of a finished call, or the gRPC status it answers with (thrown). */
  const reply = <A>(exit: Exit.Exit<A, ApiError>): A | Promise<A> => {
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && isApiError(failure.value)) throw toServerError(failure.value)
    if (Cause.isInterruptedOnly(exit.cause)) throw new ServerError(Status.CANCELLED, "call cancelled")
    return run(Effect.logError("agent API handler defect", exit.cause)).then(() => {
      throw internalError()
    })
  }

  /** Runs a call's Effect: its exit at once when it never waits, else its fiber is awaited. */
  const exitOf = <A>(effect: Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal): Exit.Exit<A, ApiError> | Promise<Exit.Exit<A, ApiError>> => {
    const fiber = fork(effect)
    return fiber.unsafePoll() ?? awaitCall(fiber, signal)
  }

  const serve = async <A>(effect: Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal): Promise<A> => {
    admit()
    inFlight += 1
    let exit: Exit.Exit<A, ApiError>
    try {
      // Most calls never wait (GetJob is a store transition): they run synchronously, and only the
      // fiber of those that do is awaited.
      exit = await exitOf(effect, signal)
    } finally {
      inFlight -= 1
    }
    return reply(exit)
  }

  const serveNow = <A>(now: () => A | Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal): A | Promise<A> => {
    admit()
    inFlight += 1
    let answer: A | Effect.Effect<A, ApiError, ApiServices>
    try {
      answer = now()
    } catch (defect) {
      answer = Effect.die(defect)
    }
    // A reply given at once goes back as it is: no fiber, no promise.
    if (!Effect.isEffect(answer)) {
      inFlight -= 1
      return answer
    }
    const exit = exitOf(answer, signal)
    if (!(exit instanceof Promise)) {
      inFlight -= 1
      return reply(exit)
    }
    return exit.then(
      (e) => {
        inFlight -= 1
        return reply(e)
      },
      (e: unknown) => {
        inFlight -= 1
        throw e
      }
    )
  }

  return {
    serve,
    serveNow,
    refuseIfDraining: async () => {
      if (draining) throw shuttingDown()
    },
    inFlight: () => inFlight,
    isDraining: () => draining,
    startDraining: () => {
      if (draining) return false
      draining = true
      return true
    }
  }
}
