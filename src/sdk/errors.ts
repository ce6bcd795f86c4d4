/**
 * Errors the Agent SDK throws. They are plain `Error` subclasses (agents are plain programs, not
 * Effect programs) with a `_tag` so that Effect code can still discriminate them.
 */

/** A variable the SDK needs is missing or malformed in the agent's environment. */
export class AgentEnvError extends Error {
  readonly _tag = "AgentEnvError"
  constructor(
    readonly variable: string,
    detail: string
  ) {
    super(`${variable}: ${detail}`)
    this.name = "AgentEnvError"
  }
}

/** The coordinator answered `success=false` (a business refusal, e.g. a job this session does not hold). */
export class CoordinatorRefused extends Error {
  readonly _tag = "CoordinatorRefused"
  constructor(
    readonly rpc: string,
    readonly reason: string
  ) {
    super(`${rpc} refused by the coordinator: ${reason}`)
    this.name = "CoordinatorRefused"
  }
}

/** The call did not get an answer (transport failure, gRPC status other than OK). */
export class CoordinatorUnavailable extends Error {
  readonly _tag = "CoordinatorUnavailable"
  constructor(
    readonly rpc: string,
    override readonly cause: unknown
  ) {
    super(`${rpc} failed: ${cause instanceof Error ? cause.message : String(cause)}`)
    this.name = "CoordinatorUnavailable"
  }
}
