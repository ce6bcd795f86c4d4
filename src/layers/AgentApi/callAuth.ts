/**
 * `SESSION_AUTH` on the agent API: the per-call proof (domain/callSignature.ts: a signature, or an
 * HMAC under the session's call key) checked against the coordinator's clock and a memory of the
 * proofs already seen.
 *
 * - `bound` (default): a call without a signature is judged by its session binding alone (published
 *   agents send none); a call that carries one must pass every check below.
 * - `strict`: every call must be signed.
 *
 * A signed call is refused (UNAUTHENTICATED) when the key is not the session's, the signature does
 * not cover this method and these request bytes, its timestamp is further than the window from the
 * coordinator's clock, or the very same signed call was already received.
 */
import { Clock, Effect } from "effect"
import { checkCallSignature } from "../../domain/callSignature.js"
import { shortSecret } from "../../domain/redact.js"
import { Unauthenticated } from "./errors.js"

export type SessionAuth = "bound" | "strict"

export interface CallAuthOptions {
  readonly mode: SessionAuth
  /** How far a signed call's timestamp may be from the coordinator's clock, either way (default 30 s). */
  readonly windowMs?: number
  /** The call key of a live session (for `silvana-mac` proofs); `undefined` for any other session. */
  readonly macKeyOf?: (sessionId: string) => Uint8Array | undefined
}

/** What the check needs of one call. */
export interface SignedCall {
  /** gRPC method path, `/silvana.coordinator.v1.CoordinatorService/GetJob`. */
  readonly path: string
  readonly sessionId: string
  /** The request message as received; `undefined` when the transport did not keep it. */
  readonly request: Uint8Array | undefined
  readonly header: (name: string) => string | undefined
}

export interface CallAuth {
  readonly mode: SessionAuth
  readonly check: (call: SignedCall) => Effect.Effect<void, Unauthenticated>
  /** `check` against the clock reading `now` (ms), synchronously: the refusal, or `undefined`. */
  readonly checkNow: (call: SignedCall, now: number) => Unauthenticated | undefined
  /** Signatures remembered for replay detection now. */
  readonly remembered: () => number
}

export const DEFAULT_SIGNATURE_WINDOW_MS = 30_000

export const makeCallAuth = (options: CallAuthOptions): CallAuth => {
  const windowMs = options.windowMs ?? DEFAULT_SIGNATURE_WINDOW_MS
  // signature → when it may be forgotten (received + 2 windows: by then a replay is stale anyway).
  // Entries are inserted in clock order, so the oldest are first.
  const seen = new Map<string, number>()
  const forgetOld = (now: number) => {
    for (const [signature, until] of seen) {
      if (until > now) break
      seen.delete(signature)
    }
  }

  const checkNow = (call: SignedCall, now: number): Unauthenticated | undefined => {
    const refuse = (why: string) => new Unauthenticated({ message: `session ${shortSecret(call.sessionId)}: ${why}` })
    const result = call.request === undefined ? { _tag: "Unsigned" as const } : checkCallSignature(call.header, call.path, call.sessionId, call.request, options.macKeyOf)
    switch (result._tag) {
      case "Unsigned":
        return options.mode === "strict"
          ? refuse("SESSION_AUTH=strict: every call must be signed with SESSION_PRIVATE_KEY (silvana-signature, silvana-timestamp, silvana-nonce)")
          : undefined
      case "Invalid":
        return refuse(result.reason)
      case "Valid": {
        const skew = result.timestampMs - now
        if (Math.abs(skew) > windowMs) {
          return refuse(`the call's timestamp is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? "old" : "ahead"}; at most ${windowMs / 1000} s is accepted`)
        }
        forgetOld(now)
        if (seen.has(result.signature)) return refuse("this signed call was already received (a replay)")
        seen.set(result.signature, now + 2 * windowMs)
        return undefined
      }
    }
  }

  const check = (call: SignedCall) =>
    Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<void, Unauthenticated> => {
      const refused = checkNow(call, now)
      return refused === undefined ? Effect.void : Effect.fail(refused)
    })

  return { mode: options.mode, check, checkNow, remembered: () => seen.size }
}
