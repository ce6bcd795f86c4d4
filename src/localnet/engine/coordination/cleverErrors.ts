/**
 * The `#[error]` constants of the coordination package (SilvanaOne/silvana,
 * move/coordination/sources/*.move), so a Move abort carries the clever-error data a full node
 * renders for it: the constant's name, its type (`vector<u8>`) and its value.
 *
 * A clever abort code is `ErrorBitset` (move-command-line-common, error_bitset.rs): bit 63 set,
 * the line number in bits 32..47, the identifier and constant indices below. The localnet has no
 * compiled module and so no source lines: its codes carry the constant's index in the line-number
 * field (`clever(index)`), and that index is the key here. A full node resolves the constant from
 * the module's constant pool (crates/sui-package-resolver, `CleverError` / `ErrorConstants`) and
 * answers it in `MoveAbort.clever_error`; clients should read the name from there, never from the
 * code's bits.
 */
import type { GrpcTypes } from "@mysten/sui/grpc"

const byModule: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  app_instance: {
    0: "ENotAuthorized", 1: "EAppInstancePaused", 2: "EMinTimeBetweenBlocksTooLow", 3: "EBlockNotProved",
    4: "ESettlementChainNotFound", 5: "ESettlementVectorLengthMismatch", 6: "ESettlementJobAlreadyExists",
    7: "EMethodNotFound", 8: "EPreviousBlockNotSettled", 9: "EInvalidPurgeSequences"
  },
  jobs: { 0: "EJobNotFound", 1: "EJobNotPending", 2: "EIntervalTooShort", 3: "EInvalidArguments" },
  prover: { 6: "EProofNotCalculated", 7: "ESequenceOutOfRange", 8: "ESequencesCannotBeEmpty" },
  registry: { 1: "ENotAuthorized" },
  sequence_state: { 0: "ESequenceTooHigh" },
  demo_add: { 0: "ENotAuthorized" }
}

const TAG = 1n << 63n

/** The clever-error data of an abort in `module` with `code`, when the code names a constant. */
export const cleverErrorOf = (module: string, code: bigint, value: string): GrpcTypes.CleverError | undefined => {
  if ((code & TAG) === 0n) return undefined
  const line = (code >> 32n) & 0xffffn
  const name = byModule[module]?.[Number(line)]
  if (name === undefined) return undefined
  return { lineNumber: line, constantName: name, constantType: "vector<u8>", value: { oneofKind: "rendered", rendered: value } }
}
