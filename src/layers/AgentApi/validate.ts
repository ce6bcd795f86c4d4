/**
 * Request validation for the agent API: what makes a request malformed (INVALID_ARGUMENT) as
 * opposed to refused (`success=false`).
 *
 * Each check is an `Either`: a handler written as an Effect yields it like any other Effect, and
 * the synchronous fast path (fastPath.ts) reads it without running one.
 */
import { Either, Option } from "effect"
import { isJobId, isSessionId, type JobId, type SessionId } from "../../domain/ids.js"
import { InvalidArgument } from "./errors.js"

/** Bounds on free-text fields. An error message goes on chain, so it must fit a transaction. */
export const limits = {
  name: 256,
  jobId: 128,
  errorMessage: 16 * 1024,
  logMessage: 64 * 1024
} as const

/** A session id as the binding check reads it: `None` when malformed (the handler then refuses it). */
export const sessionIdOption = (value: string): Option.Option<SessionId> => (isSessionId(value) ? Option.some(value) : Option.none())

const invalid = (message: string) => Either.left(new InvalidArgument({ message }))

const present = (field: string, value: string, max: number): Either.Either<string, InvalidArgument> =>
  value.length === 0
    ? invalid(`${field} is required`)
    : value.length > max
      ? invalid(`${field} is longer than ${max} characters`)
      : Either.right(value)

/** A session id, checked by the domain's `SessionId` schema's own pattern (`isSessionId`). */
export const sessionId = (value: string): Either.Either<SessionId, InvalidArgument> =>
  Either.flatMap(present("session_id", value, 66), (v) =>
    isSessionId(v) ? Either.right(v) : invalid("session_id is malformed: expected 0x followed by 64 lowercase hex digits")
  )

/**
 * A job id, checked by the domain's `JobId` schema's own pattern (`isJobId`). Job ids are opaque
 * to agents: an empty, oversize or non-UTF-8 one (U+FFFD) is malformed, but one of another shape
 * is only an id this coordinator never issued — `None`, answered as an unknown job, as before.
 */
export const jobId = (value: string): Either.Either<Option.Option<JobId>, InvalidArgument> =>
  Either.flatMap(present("job_id", value, limits.jobId), (v) =>
    v.includes("\uFFFD") ? invalid("job_id is not valid UTF-8") : Either.right(isJobId(v) ? Option.some(v) : Option.none())
  )

export const name = (field: string, value: string): Either.Either<string, InvalidArgument> =>
  Either.flatMap(present(field, value, limits.name), (v) => (v.includes("\uFFFD") ? invalid(`${field} is not valid UTF-8`) : Either.right(v)))

export const text = (field: string, value: string, max: number): Either.Either<string, InvalidArgument> =>
  value.length > max ? invalid(`${field} is longer than ${max} characters`) : Either.right(value)
