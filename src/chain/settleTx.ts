/**
 * Settlement transactions: building one programmable transaction out of outbox operations (one
 * `multicall_app_job_operations` per app instance chunk), reading the per-op results back from
 * `MulticallExecutedEvent`s, and classifying failures.
 */
import type { SuiGrpcClient } from "@mysten/sui/grpc"
import type { Keypair } from "@mysten/sui/cryptography"
import { Transaction, TransactionDataBuilder } from "@mysten/sui/transactions"
import { normalizeSuiAddress } from "@mysten/sui/utils"
import { abortConstant } from "./moveAborts.js"
import type { OutboxOp } from "../domain/outbox.js"
import { addCall, type AppCall, callResults, decodeCall } from "./appCalls.js"
import { MulticallExecutedEvent } from "./moveTypes.js"

/** A gas coin reference (one in-flight transaction at a time). */
export interface GasCoin {
  readonly objectId: string
  version: string
  digest: string
  balance: bigint
}

/** One command: a multicall of job ops of one app instance, or one app call (`ops` = [that op]). */
export interface MulticallGroup {
  readonly appInstance: string
  readonly ops: ReadonlyArray<OutboxOp>
  readonly call?: AppCall
}

/** Longest error text sent on chain (bytes of UTF-8); longer texts are cut. */
export const MAX_ERROR_BYTES = 1_024
/** Error text per multicall, kept well under Sui's 16 KiB limit for one pure argument. */
const MAX_ERRORS_PER_CALL = 12_000
/** Rough size of ops in one transaction, kept well under Sui's 128 KiB transaction limit. */
export const MAX_TX_OP_BYTES = 64_000

/** Cuts an error text to `MAX_ERROR_BYTES` of UTF-8 without splitting a character. */
export const clampError = (error: string): string => {
  const bytes = new TextEncoder().encode(error)
  if (bytes.length <= MAX_ERROR_BYTES) return error
  return new TextDecoder().decode(bytes.slice(0, MAX_ERROR_BYTES - 3)).replace(/\uFFFD$/, "") + "..."
}

/** Bytes an op adds to a transaction (a u64 or two, plus its error text). */
export const opBytes = (op: OutboxOp): number =>
  16 + (op.error === null ? 0 : new TextEncoder().encode(op.error).length + 4) + (op.payload === null ? 0 : op.payload.length)

/**
 * Groups ops by app instance (first-appearance order): at most `perCall` ops and
 * `MAX_ERRORS_PER_CALL` bytes of error text per group.
 */
export const groupOps = (ops: ReadonlyArray<OutboxOp>, perCall: number): MulticallGroup[] => {
  const byApp = new Map<string, OutboxOp[]>()
  const calls: MulticallGroup[] = []
  for (const op of ops) {
    // App calls run after the instance's job ops of the same transaction, one command each.
    if (op.kind === "call") {
      calls.push({ appInstance: op.appInstance, ops: [op], call: decodeCall(op.payload ?? "{}") })
      continue
    }
    const list = byApp.get(op.appInstance)
    if (list === undefined) byApp.set(op.appInstance, [op])
    else list.push(op)
  }
  const groups: MulticallGroup[] = []
  for (const [appInstance, list] of byApp) {
    let current: OutboxOp[] = []
    let errorBytes = 0
    for (const op of list) {
      const e = op.error === null ? 0 : opBytes(op)
      if (current.length > 0 && (current.length >= perCall || errorBytes + e > MAX_ERRORS_PER_CALL)) {
        groups.push({ appInstance, ops: current })
        current = []
        errorBytes = 0
      }
      current.push(op)
      errorBytes += e
    }
    if (current.length > 0) groups.push({ appInstance, ops: current })
  }
  return [...groups, ...calls]
}

export interface BuiltTx {
  readonly bytes: Uint8Array
  readonly signature: string
  readonly digest: string
}

/** Builds and signs the settlement transaction; every input is fully resolved, so no node round trip. */
export const buildSettlementTx = async (input: {
  readonly packageId: string
  readonly keypair: Keypair
  readonly sender: string
  readonly groups: ReadonlyArray<MulticallGroup>
  readonly sharedVersions: ReadonlyMap<string, bigint>
  readonly gas: GasCoin
  /** Small coins to merge into `gas` (Sui smashes every gas payment coin into the first). */
  readonly mergeGas?: ReadonlyArray<GasCoin>
  readonly gasPrice: bigint
  readonly gasBudget: bigint
  readonly availableMemoryBytes: bigint
}): Promise<BuiltTx> => {
  const tx = new Transaction()
  tx.setSender(input.sender)
  tx.setGasPrice(input.gasPrice)
  tx.setGasBudget(input.gasBudget)
  tx.setGasPayment(
    [input.gas, ...(input.mergeGas ?? [])].map((c) => ({ objectId: c.objectId, version: c.version, digest: c.digest }))
  )
  for (const g of input.groups) {
    const isv = input.sharedVersions.get(g.appInstance)
    if (isv === undefined) throw new Error(`no shared version known for app instance ${g.appInstance}`)
    const instance = tx.sharedObjectRef({ objectId: normalizeSuiAddress(g.appInstance), initialSharedVersion: isv.toString(), mutable: true })
    if (g.call !== undefined) {
      addCall(tx, input.packageId, instance, g.call)
      continue
    }
    const complete = g.ops.filter((o) => o.kind === "complete").map((o) => o.jobSequence)
    const fail = g.ops.filter((o) => o.kind === "fail")
    const terminate = g.ops.filter((o) => o.kind === "terminate").map((o) => o.jobSequence)
    const start = g.ops.filter((o) => o.kind === "start").map((o) => o.jobSequence)
    tx.moveCall({
      target: `${input.packageId}::app_instance::multicall_app_job_operations`,
      arguments: [
        instance,
        tx.pure.vector("u64", complete),
        tx.pure.vector("u64", fail.map((o) => o.jobSequence)),
        tx.pure.vector("string", fail.map((o) => o.error ?? "")),
        tx.pure.vector("u64", terminate),
        tx.pure.vector("u64", start),
        tx.pure.vector("u64", start.map(() => 0n)),
        tx.pure.u64(input.availableMemoryBytes),
        tx.object.clock()
      ]
    })
  }
  const bytes = await tx.build()
  const { signature } = await input.keypair.signTransaction(bytes)
  return { bytes, signature, digest: TransactionDataBuilder.getDigestFromBytes(bytes) }
}

export type OpResult = { readonly id: number; readonly state: "done" | "rejected"; readonly outcome?: string }

/**
 * Per-op results from the `MulticallExecutedEvent`s of an executed transaction (one per multicall
 * command, in command order). Ops without a matching result are left out (they get requeued).
 */
export const resultsFromEvents = (
  groups: ReadonlyArray<MulticallGroup>,
  events: ReadonlyArray<{ readonly eventType: string; readonly bcs: Uint8Array }>,
  packageId: string
): OpResult[] => {
  const multicalls = events
    .filter((e) => {
      const parts = e.eventType.split("::")
      return parts.length === 3 && parts[1] === "jobs" && parts[2] === "MulticallExecutedEvent" && normalizeSuiAddress(parts[0]!) === packageId
    })
    .map((e) => MulticallExecutedEvent.parse(e.bcs))
  const out: OpResult[] = []
  // App calls of an executed transaction are done; some record what they returned (callResults).
  const callGroups = groups.filter((g) => g.call !== undefined)
  callResults(callGroups.map((g) => g.call!), events, packageId).forEach((r, i) => {
    const op = callGroups[i]!.ops[0]!
    out.push({ id: op.id, state: r.state, ...(r.outcome === undefined ? {} : { outcome: r.outcome }) })
  })
  groups.filter((g) => g.call === undefined).forEach((g, i) => {
    const ev = multicalls[i]
    if (ev === undefined) return
    const lookup = (jobs: ReadonlyArray<string>, results: ReadonlyArray<boolean>) => {
      const m = new Map<string, boolean>()
      jobs.forEach((j, k) => m.set(String(j), results[k] === true))
      return m
    }
    const byKind = {
      complete: lookup(ev.complete_jobs, ev.complete_results),
      fail: lookup(ev.fail_jobs, ev.fail_results),
      terminate: lookup(ev.terminate_jobs, ev.terminate_results),
      start: lookup(ev.start_jobs, ev.start_results)
    }
    for (const op of g.ops) {
      if (op.kind === "call") continue
      const r = byKind[op.kind].get(op.jobSequence.toString())
      if (r === undefined) continue
      out.push({ id: op.id, state: r ? "done" : "rejected" })
    }
  })
  return out
}

/** A Move abort decoded from an execution error. */
export interface MoveAbortInfo {
  readonly module: string
  readonly function: string
  readonly code: string
  readonly command: number | undefined
  readonly message: string
  /** The abort's `#[error]` constant, as the node rendered it or as its code names it. */
  readonly constant: string | undefined
}

/** Decodes an execution error (`effects.status.error`) into a Move abort, when it is one. */
export const decodeAbort = (error: unknown): MoveAbortInfo | undefined => {
  const e = error as {
    $kind?: string
    message?: string
    command?: number
    MoveAbort?: {
      abortCode: string
      location?: { module?: string; functionName?: string; function?: number }
      cleverError?: { constantName?: string }
    }
  } | null
  if (e === null || e === undefined || e.$kind !== "MoveAbort" || e.MoveAbort === undefined) return undefined
  const module = e.MoveAbort.location?.module ?? "?"
  return {
    module,
    function: e.MoveAbort.location?.functionName ?? String(e.MoveAbort.location?.function ?? "?"),
    code: e.MoveAbort.abortCode,
    command: e.command,
    message: e.message ?? "Move abort",
    constant: abortConstant(module, e.MoveAbort.abortCode, e.MoveAbort.cleverError?.constantName)
  }
}

/** Gas used by a transaction (computation + storage - rebate), from SDK effects. */
export const gasUsed = (g: { computationCost: string; storageCost: string; storageRebate: string } | undefined): bigint =>
  g === undefined ? 0n : BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate)

/** Lists every SUI coin of `owner`. */
export const listSuiCoins = async (client: SuiGrpcClient, owner: string): Promise<GasCoin[]> => {
  const out: GasCoin[] = []
  let cursor: string | null = null
  do {
    const page: Awaited<ReturnType<SuiGrpcClient["core"]["listCoins"]>> = await client.core.listCoins({ owner, limit: 200, cursor })
    for (const c of page.objects) out.push({ objectId: c.objectId, version: c.version, digest: c.digest, balance: BigInt(c.balance) })
    cursor = page.hasNextPage ? page.cursor : null
  } while (cursor !== null)
  return out
}
