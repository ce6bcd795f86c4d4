/**
 * Request validation for the agent API: what makes a request malformed (INVALID_ARGUMENT) as
 * opposed to refused (`success=false`).
 */
import { Effect, Either, Option, Schema } from "effect"
import { JobId, SessionId } from "../../domain/ids.js"
import { InvalidArgument } from "./errors.js"

/** Bounds on free-text fields. An error message goes on chain, so it must fit a transaction. */
export const limits = {
  name: 256,
  jobId: 128,
  errorMessage: 16 * 1024,
  logMessage: 64 * 1024
} as const

const decodeSessionId = Schema.decodeUnknownEither(SessionId)
const decodeJobId = Schema.decodeUnknownOption(JobId)

/** A session id as the binding check reads it: `None` when malformed (the handler then refuses it). */
export const sessionIdOption = Schema.decodeUnknownOption(SessionId)

const present = (field: string, value: string, max: number) =>
  value.length === 0
    ? Effect.fail(new InvalidArgument({ message: `${field} is required` }))
    : value.length > max
      ? Effect.fail(new InvalidArgument({ message: `${field} is longer than ${max} characters` }))
      : Effect.succeed(value)

/** A session id, decoded by the domain's `SessionId` schema. */
export const sessionId = (value: string): Effect.Effect<SessionId, InvalidArgument> =>
  Effect.flatMap(present("session_id", value, 66), (v) =>
    Either.match(decodeSessionId(v), {
      onLeft: () => Effect.fail(new InvalidArgument({ message: "session_id is malformed: expected 0x followed by 64 lowercase hex digits" })),
      onRight: Effect.succeed
    })
  )

/**
 * A job id, decoded by the domain's `JobId` schema. Job ids are opaque to agents: an empty,
 * oversize or non-UTF-8 one (U+FFFD) is malformed, but one of another shape is only an id this
 * coordinator never issued — `None`, answered as an unknown job, as before.
 */
export const jobId = (value: string): Effect.Effect<Option.Option<JobId>, InvalidArgument> =>
  Effect.flatMap(present("job_id", value, limits.jobId), (v) =>
    v.includes("\uFFFD")
      ? Effect.fail(new InvalidArgument({ message: "job_id is not valid UTF-8" }))
      : Effect.succeed(decodeJobId(v))
  )

export const name = (field: string, value: string): Effect.Effect<string, InvalidArgument> =>
  Effect.flatMap(present(field, value, limits.name), (v) =>
    v.includes("\uFFFD") ? Effect.fail(new InvalidArgument({ message: `${field} is not valid UTF-8` })) : Effect.succeed(v)
  )

export const text = (field: string, value: string, max: number): Effect.Effect<string, InvalidArgument> =>
  value.length > max
    ? Effect.fail(new InvalidArgument({ message: `${field} is longer than ${max} characters` }))
    : Effect.succeed(value)
