/**
 * A job's Move call on its app instance, as the agent API makes it: durable in the settlement
 * outbox first (so an acknowledged call survives a crash), then, for the RPCs whose answer
 * depends on it, awaited until its transaction executed.
 */
import { Effect } from "effect"
import type { AppCall } from "../../chain/appCalls.js"
import type { CallOutcome } from "../Settlement.js"
import { StorageUnavailable } from "./errors.js"
import type { Scoped } from "./jobScope.js"

export type Queued = { readonly _tag: "Queued"; readonly wait: Effect.Effect<CallOutcome> } | { readonly _tag: "Refused"; readonly message: string }

/** Queues the call durably; a job this coordinator did not start is refused. */
export const queueCall = (s: Scoped, call: AppCall) =>
  s.app.settlement.call(s.job.appInstance, s.job.jobSequence, call, s.session.id).pipe(
    Effect.map((wait): Queued => ({ _tag: "Queued", wait })),
    Effect.catchTag("SettlementError", (e) =>
      e.reason === "Journal" || e.reason === "Closed"
        ? Effect.fail(new StorageUnavailable({ message: `${e.message}; retry the call` }))
        : Effect.succeed<Queued>({ _tag: "Refused", message: e.message })
    )
  )

/** Queues and waits: `{success, message, txHash}` from the executed transaction. */
export const callAndWait = (s: Scoped, call: AppCall) =>
  Effect.gen(function* () {
    const q = yield* queueCall(s, call)
    if (q._tag === "Refused") return { success: false, message: q.message, txHash: "", detail: null as string | null }
    const o = yield* q.wait
    if (o.result === "done") return { success: true, message: `${call.fn} executed`, txHash: o.txDigest ?? "", detail: o.detail }
    return {
      success: false,
      message: o.result === "aborted" ? `${call.fn} aborted: ${o.detail ?? "Move abort"}` : `${call.fn} was refused by the chain (${o.detail ?? "no result"})`,
      txHash: o.txDigest ?? "",
      detail: o.detail
    }
  })
