/**
 * Names of the coordination package's Move aborts, and whose fault each one is.
 *
 * A full node renders a clever error's constant name itself (`MoveAbort.cleverError.constantName`
 * in the gRPC execution status; the localnet renders its `#[error]` constants the same way); when
 * a node does not, the name is read from
 * the abort code: a clever error carries its `#[error]` constant's index at bits 32..47, counted
 * in the module's constant list as the localnet's modules count them.
 *
 * Agent-caused aborts are refusals of what an agent asked (a block that is not proved, a sequence
 * outside the block, a previous block not settled, an entry that does not exist): the agent hears
 * them as `success=false` and the daemon logs them at WARN. Everything else that aborts — the
 * coordinator not authorized, a job operation, an unknown abort — is a coordinator fault (ERROR).
 */

/** `#[error]` constants by index, per module (the same order as the localnet's `clever(n)`). */
const CONSTANTS: Readonly<Record<string, ReadonlyArray<string | undefined>>> = {
  app_instance: [
    "ENotAuthorized", "EAppInstancePaused", "EMinTimeBetweenBlocksTooLow", "EBlockNotProved", "ESettlementChainNotFound",
    "ESettlementVectorLengthMismatch", "ESettlementJobAlreadyExists", "EMethodNotFound", "EPreviousBlockNotSettled", "EInvalidPurgeSequences"
  ],
  // Five proof statuses and the timeout come first in `prover`'s constant list.
  prover: [undefined, undefined, undefined, undefined, undefined, undefined, "EProofNotCalculated", "ESequenceOutOfRange", "ESequencesCannotBeEmpty"],
  sequence_state: ["ESequenceTooHigh"]
}

/** What an entry that does not exist aborts with (a table, dynamic field or map lookup). */
export const NO_SUCH_ENTRY = "no such entry (the block or record does not exist)"
const LOOKUP_MODULES = new Set(["dynamic_field", "object_table", "table"])

/** Refusals of an agent's request: logged at WARN, never ERROR. */
const AGENT_CAUSED = new Set([
  "EMinTimeBetweenBlocksTooLow", "EBlockNotProved", "ESettlementChainNotFound", "ESettlementVectorLengthMismatch",
  "ESettlementJobAlreadyExists", "EMethodNotFound", "EPreviousBlockNotSettled", "EInvalidPurgeSequences",
  "EProofNotCalculated", "ESequenceOutOfRange", "ESequencesCannotBeEmpty", "ESequenceTooHigh", NO_SUCH_ENTRY
])

/** The constant a Move abort names: the node's rendering first, else the code's index; `undefined` when unknown. */
export const abortConstant = (module: string, code: string | bigint, rendered?: string): string | undefined => {
  if (rendered !== undefined && rendered.length > 0) return rendered
  let c: bigint
  try {
    c = BigInt(code)
  } catch {
    return undefined
  }
  // `vec_map::EKeyDoesNotExist` is its code 1 (0 is a key inserted twice).
  if (LOOKUP_MODULES.has(module) || (module === "vec_map" && c === 1n)) return NO_SUCH_ENTRY
  if (c >> 63n !== 1n) return undefined
  return CONSTANTS[module]?.[Number((c >> 32n) & 0xffffn)]
}

/** Whether an abort named `constant` refuses what an agent asked (rather than a coordinator fault). */
export const isAgentCaused = (constant: string | undefined): boolean => constant !== undefined && AGENT_CAUSED.has(constant)

/** Names the abort in a failed call's detail (Settlement's `Move abort in <module>::<fn> code <n> [(<name>)]`, or the error as JSON). */
export const abortName = (detail: string | null): string | undefined => {
  if (detail === null) return undefined
  const plain = /Move abort in ([a-z_0-9]+)::[a-z_0-9]+ code (\d+)(?: \((E[A-Za-z0-9]+)\))?/.exec(detail)
  const code = plain?.[2] ?? /"abortCode":"(\d+)"/.exec(detail)?.[1]
  const module = plain?.[1] ?? /"module":"([a-z_]+)"/.exec(detail)?.[1]
  const rendered = plain?.[3] ?? /"constantName":"(E[A-Za-z0-9]+)"/.exec(detail)?.[1]
  if (code === undefined || module === undefined) return undefined
  return abortConstant(module, code, rendered)
}
