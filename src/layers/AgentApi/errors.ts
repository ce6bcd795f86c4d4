/**
 * The agent API's errors and their mapping to gRPC — in one place.
 *
 * Business refusals (unknown session, a job not held by the caller…) are NOT errors on the wire:
 * published agents check `success`, so handlers answer them as `success=false` + message. What is
 * here becomes a gRPC status.
 */
import { Data } from "effect"
import { ServerError, Status } from "nice-grpc"

/** A malformed request: empty required id, oversize field, malformed id. */
export class InvalidArgument extends Data.TaggedError("InvalidArgument")<{ readonly message: string }> {}

/** Too many calls in flight. */
export class Overloaded extends Data.TaggedError("Overloaded")<{ readonly message: string }> {}

/** The server is draining for shutdown. */
export class ShuttingDown extends Data.TaggedError("ShuttingDown")<{ readonly message: string }> {}

/** An RPC of the contract that this coordinator does not implement yet. */
export class NotImplemented extends Data.TaggedError("NotImplemented")<{ readonly rpc: string }> {}

/** A report could not be stored durably; the agent may retry. */
export class StorageUnavailable extends Data.TaggedError("StorageUnavailable")<{ readonly message: string }> {}

/** A job-scoped RPC that answers with a status: the job is unknown to this coordinator. */
export class NotFound extends Data.TaggedError("NotFound")<{ readonly message: string }> {}

/** A job-scoped RPC that answers with a status: the session may not act on the job. */
export class PermissionDenied extends Data.TaggedError("PermissionDenied")<{ readonly message: string }> {}

/** The call's proof of possession is missing (SESSION_AUTH=strict), forged, stale or replayed. */
export class Unauthenticated extends Data.TaggedError("Unauthenticated")<{ readonly message: string }> {}

/** Stored data failed its integrity check, or storage failed: never answered with wrong bytes. */
export class Internal extends Data.TaggedError("Internal")<{ readonly message: string }> {}

export type ApiError = InvalidArgument | Overloaded | ShuttingDown | NotImplemented | StorageUnavailable | NotFound | PermissionDenied | Internal | Unauthenticated

export const API_ERROR_TAGS: ReadonlyArray<ApiError["_tag"]> = [
  "InvalidArgument", "Overloaded", "ShuttingDown", "NotImplemented", "StorageUnavailable", "NotFound", "PermissionDenied", "Internal", "Unauthenticated"
]

/** The one mapping from API errors to gRPC statuses. */
export const toServerError = (error: ApiError): ServerError => {
  switch (error._tag) {
    case "InvalidArgument":
      return new ServerError(Status.INVALID_ARGUMENT, error.message)
    case "Overloaded":
      return new ServerError(Status.RESOURCE_EXHAUSTED, error.message)
    case "ShuttingDown":
      return new ServerError(Status.UNAVAILABLE, error.message)
    case "NotImplemented":
      // Only an embedder's agent API assembled without the AppApi layer answers this; the daemon
      // always serves all 31 RPCs.
      return new ServerError(Status.UNIMPLEMENTED, `${error.rpc} needs the app API, which this coordinator was assembled without (AppApi layer)`)
    case "StorageUnavailable":
      return new ServerError(Status.UNAVAILABLE, error.message)
    case "NotFound":
      return new ServerError(Status.NOT_FOUND, error.message)
    case "PermissionDenied":
      return new ServerError(Status.PERMISSION_DENIED, error.message)
    case "Internal":
      return new ServerError(Status.INTERNAL, error.message)
    case "Unauthenticated":
      return new ServerError(Status.UNAUTHENTICATED, error.message)
  }
}

/** Any unexpected failure (a defect) becomes INTERNAL without leaking details to the caller. */
export const internalError = () => new ServerError(Status.INTERNAL, "internal error; see the coordinator's log")
