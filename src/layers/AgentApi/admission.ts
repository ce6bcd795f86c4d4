/**
 * Admission and the one error mapping of every agent API call: a draining server answers
 * UNAVAILABLE, one over its in-flight bound RESOURCE_EXHAUSTED; then the handler's Effect runs and
 * its outcome becomes a reply or a gRPC status (errors.ts), a defect being logged and hidden.
 */
import { Cause, Effect, Exit, Fiber, Option, Runtime } from "effect"
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
   * the reply, or the Effect that produces it, which then runs as in `serve`.
   */
  readonly serveNow: <A>(now: () => A | Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal) => Promise<A>
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

/** The fiber of a call that had to wait (a durable write): `runSyncExit` hands it back as a defect. */
const suspendedFiber = <A>(exit: Exit.Exit<A, ApiError>): Fiber.RuntimeFiber<A, ApiError> | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const defect = Cause.dieOption(exit.cause)
  return Option.isSome(defect) && Runtime.isAsyncFiberException(defect.value)
    ? (defect.value.fiber as Fiber.RuntimeFiber<A, ApiError>)
    : undefined
}

/** Awaits a suspended call's fiber, interrupting it if the call is cancelled. */
const awaitCall = async <A>(fiber: Fiber.RuntimeFiber<A, ApiError>, signal: AbortSignal): Promise<Exit.Exit<A, ApiError>> => {
  const cancel = () => fiber.unsafeInterruptAsFork(fiber.id())
  signal.addEventListener("abort", cancel, { once: true })
  try {
    return await Effect.runPromise(Fiber.await(fiber))
  } finally {
    signal.removeEventListener("abort", cancel)
  }
}

export const makeAdmission = (runtime: Runtime.Runtime<ApiServices>, maxInFlight: number): Admission => {
  const run = Runtime.runPromiseExit(runtime)
  const runSync = Runtime.runSyncExit(runtime)
  let inFlight = 0
  let draining = false

  const admit = () => {
    if (draining) throw shuttingDown()
    if (inFlight >= maxInFlight) throw toServerError(new Overloaded({ message: "too many calls in flight; retry with backoff" }))
  }

  /** The reply of a finished call, or the gRPC status it answers with. */
  const reply = async <A>(exit: Exit.Exit<A, ApiError>): Promise<A> => {
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && isApiError(failure.value)) throw toServerError(failure.value)
    if (Cause.isInterruptedOnly(exit.cause)) throw new ServerError(Status.CANCELLED, "call cancelled")
    await run(Effect.logError("agent API handler defect", exit.cause))
    throw internalError()
  }

  /** Runs a call's Effect: synchronously when it never waits, else its fiber is awaited. */
  const exitOf = async <A>(effect: Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal): Promise<Exit.Exit<A, ApiError>> => {
    const exit = runSync(effect)
    const fiber = suspendedFiber(exit)
    return fiber === undefined ? exit : await awaitCall(fiber, signal)
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

  const serveNow = async <A>(now: () => A | Effect.Effect<A, ApiError, ApiServices>, signal: AbortSignal): Promise<A> => {
    admit()
    inFlight += 1
    let exit: Exit.Exit<A, ApiError>
    try {
      let answer: A | Effect.Effect<A, ApiError, ApiServices>
      try {
        answer = now()
      } catch (defect) {
        answer = Effect.die(defect)
      }
      if (!Effect.isEffect(answer)) return answer
      exit = await exitOf(answer, signal)
    } finally {
      inFlight -= 1
    }
    return reply(exit)
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
