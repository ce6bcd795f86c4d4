/**
 * Move calls an agent's job makes on its app instance (`<package>::app_instance::<fn>`), as data:
 * stored as JSON in the settlement outbox, put into a settlement transaction as one command each,
 * and read back from the executed transaction's events (the job sequence `create_app_job`
 * returned, an abort…). Every call takes the AppInstance (mutable shared) first and, when the
 * Move function has one, the Clock `0x6` last.
 */
import type { Transaction, TransactionArgument } from "@mysten/sui/transactions"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { blockEventLayouts } from "./blockTypes.js"
import { bcsSchema } from "./moveLayout.js"
import { JobCreatedEvent, OperationFailedEvent } from "./moveTypes.js"

/** A pure argument with its Move type. Integers travel as decimal strings so the JSON is exact. */
export type PureArg =
  | { readonly t: "u8"; readonly v: number }
  | { readonly t: "u64"; readonly v: string }
  | { readonly t: "string"; readonly v: string }
  | { readonly t: "bytes"; readonly v: string /* base64 */ }
  | { readonly t: "vecU64"; readonly v: ReadonlyArray<string> }
  | { readonly t: "optU64"; readonly v: string | null }
  | { readonly t: "optString"; readonly v: string | null }
  | { readonly t: "optVecU64"; readonly v: ReadonlyArray<string> | null }
  | { readonly t: "optBytes"; readonly v: string /* base64 */ | null }

export interface AppCall {
  readonly fn: string
  readonly args: ReadonlyArray<PureArg>
  readonly clock: boolean
}

export const arg = {
  u8: (v: number): PureArg => ({ t: "u8", v }),
  u64: (v: bigint): PureArg => ({ t: "u64", v: v.toString() }),
  string: (v: string): PureArg => ({ t: "string", v }),
  bytes: (v: Uint8Array): PureArg => ({ t: "bytes", v: Buffer.from(v).toString("base64") }),
  vecU64: (v: ReadonlyArray<bigint>): PureArg => ({ t: "vecU64", v: v.map(String) }),
  optU64: (v: bigint | undefined): PureArg => ({ t: "optU64", v: v === undefined ? null : v.toString() }),
  optString: (v: string | undefined): PureArg => ({ t: "optString", v: v ?? null }),
  optVecU64: (v: ReadonlyArray<bigint> | undefined): PureArg => ({ t: "optVecU64", v: v === undefined ? null : v.map(String) }),
  optBytes: (v: Uint8Array | undefined): PureArg => ({ t: "optBytes", v: v === undefined ? null : Buffer.from(v).toString("base64") })
} as const

export const encodeCall = (c: AppCall): string => JSON.stringify(c)
export const decodeCall = (payload: string): AppCall => JSON.parse(payload) as AppCall
/** The Move function of an encoded call, without decoding its arguments (`encodeCall` writes `fn` first). */
export const callFn = (payload: string): string | null => /^\{"fn":"([A-Za-z0-9_]+)"/.exec(payload)?.[1] ?? null

const pure = (tx: Transaction, a: PureArg): TransactionArgument => {
  switch (a.t) {
    case "u8": return tx.pure.u8(a.v)
    case "u64": return tx.pure.u64(BigInt(a.v))
    case "string": return tx.pure.string(a.v)
    case "bytes": return tx.pure.vector("u8", [...Buffer.from(a.v, "base64")])
    case "vecU64": return tx.pure.vector("u64", a.v.map((x) => BigInt(x)))
    case "optU64": return tx.pure.option("u64", a.v === null ? null : BigInt(a.v))
    case "optString": return tx.pure.option("string", a.v)
    case "optVecU64": return tx.pure.option("vector<u64>", a.v === null ? null : a.v.map((x) => BigInt(x)))
    case "optBytes": return tx.pure.option("vector<u8>", a.v === null ? null : [...Buffer.from(a.v, "base64")])
  }
}

/** Adds the call as one command of `tx`. */
export const addCall = (tx: Transaction, packageId: string, instance: TransactionArgument, c: AppCall): void => {
  tx.moveCall({
    target: `${packageId}::app_instance::${c.fn}`,
    arguments: [instance, ...c.args.map((a) => pure(tx, a)), ...(c.clock ? [tx.object.clock()] : [])]
  })
}

/** Calls whose result is the sequence of a job they create (`Option<u64>`). */
const CREATES_JOB = new Set(["create_app_job", "create_merge_job"])
export const createsJob = (c: AppCall): boolean => CREATES_JOB.has(c.fn)

/** What a job-creating call failed with, by `OperationFailedEvent.operation`. */
const CREATE_FAILURES = new Set(["create_job", "create", "create_merge_job"])

/**
 * The job sequences the job-creating calls of an executed transaction returned, in command
 * order (`null` = the call answered `None`). Each such call emits exactly one `JobCreatedEvent`
 * or one creation `OperationFailedEvent`, and no other command emits either.
 */
export const createdJobSequences = (
  events: ReadonlyArray<{ readonly eventType: string; readonly bcs: Uint8Array }>,
  packageId: string
): Array<bigint | null> => {
  const out: Array<bigint | null> = []
  for (const e of events) {
    const [pkg, module, name] = e.eventType.split("::")
    if (pkg === undefined || normalizeSuiAddress(pkg) !== packageId) continue
    if (module === "jobs" && name === "JobCreatedEvent") out.push(BigInt(JobCreatedEvent.parse(e.bcs).job_sequence))
    else if (module === "multicall" && name === "OperationFailedEvent") {
      const f = OperationFailedEvent.parse(e.bcs)
      if (CREATE_FAILURES.has(f.operation)) out.push(null)
    }
  }
  return out
}

const BlockCreated = bcsSchema(blockEventLayouts.BlockCreatedEvent)
const InsufficientTime = bcsSchema(blockEventLayouts.InsufficientTimeForBlockEvent)

/** What an executed call did, when its answer depends on the events: `rejected` = it returned its "no". */
export interface CallResult {
  readonly state: "done" | "rejected"
  readonly outcome?: string
}

/**
 * The results of the calls of an executed transaction, in command order. Each `try_create_block`
 * emits exactly one of BlockCreatedEvent (`block_number=N`), NoNewSequencesEvent or
 * InsufficientTimeForBlockEvent; each `update_state_for_sequence` a SequenceStateUpdatedEvent or
 * one OperationFailedEvent of that operation (`rejected`). No other coordinator call emits those.
 */
export const callResults = (
  calls: ReadonlyArray<AppCall>,
  events: ReadonlyArray<{ readonly eventType: string; readonly bcs: Uint8Array }>,
  packageId: string
): CallResult[] => {
  const created = createdJobSequences(events, packageId)
  const blocks: CallResult[] = []
  const states: CallResult[] = []
  for (const e of events) {
    const [pkg, module, name] = e.eventType.split("::")
    if (pkg === undefined || normalizeSuiAddress(pkg) !== packageId) continue
    if (module === "app_instance" && name === "BlockCreatedEvent") blocks.push({ state: "done", outcome: `block_number=${BlockCreated.parse(e.bcs).block_number}` })
    else if (module === "app_instance" && name === "NoNewSequencesEvent") blocks.push({ state: "done", outcome: "no_new_sequences" })
    else if (module === "app_instance" && name === "InsufficientTimeForBlockEvent") {
      const t = InsufficientTime.parse(e.bcs)
      blocks.push({ state: "done", outcome: `insufficient_time=${t.time_since_last_block}/${t.min_time_required}` })
    } else if (module === "sequence_state" && name === "SequenceStateUpdatedEvent") states.push({ state: "done" })
    else if (module === "multicall" && name === "OperationFailedEvent") {
      const f = OperationFailedEvent.parse(e.bcs)
      if (f.operation === "update_state_for_sequence") states.push({ state: "rejected", outcome: f.reason })
    }
  }
  let c = 0
  let b = 0
  let st = 0
  return calls.map((call): CallResult => {
    if (createsJob(call)) {
      const seq = created[c++]
      return seq === null || seq === undefined ? { state: "rejected", outcome: "none" } : { state: "done", outcome: `job_sequence=${seq}` }
    }
    if (call.fn === "try_create_block") return blocks[b++] ?? { state: "done" }
    if (call.fn === "update_state_for_sequence") return states[st++] ?? { state: "done" }
    return { state: "done" }
  })
}
