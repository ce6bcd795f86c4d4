/**
 * Sessions — one per agent run. Each session has a fresh Ed25519 key; its Sui address is the
 * `session_id` the agent presents on every call, and the private key (bech32 `suiprivkey…`) is
 * handed only to that agent's container. A session is bound to exactly one triple and one
 * container; revoking it returns the jobs it still held so they can be failed on chain.
 */
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { Context, Data, Deferred, Duration, Effect, Layer, Option, Redacted } from "effect"
import { callMacKey } from "../domain/callSignature.js"
import { SessionId, Triple, tripleKey } from "../domain/ids.js"
import type { JobReport } from "../domain/job.js"
import { shortSecret } from "../domain/redact.js"
import { JobStore } from "./JobStore.js"

export interface Session {
  readonly id: SessionId
  readonly triple: Triple
  /** `suiprivkey1…`; only ever given to the session's own agent. */
  readonly privateKey: Redacted.Redacted<string>
  /** The key of the session's `silvana-mac` call proofs, derived from its private key (domain/callSignature.ts). */
  readonly callKey: Redacted.Redacted<Uint8Array>
  readonly createdAt: number
  readonly containerId: string | undefined
  /** Set for sessions of agents the coordinator starts: where their calls may come from, once known. */
  readonly binding: Deferred.Deferred<SessionBinding> | undefined
}

/** Where a bound session's calls may come from, fixed by the runtime that started its agent (AgentApi/binding.ts). */
export interface SessionBinding {
  /** Peer addresses allowed over TCP (the container's addresses on its networks). */
  readonly addresses: ReadonlyArray<string>
  /** The uid whose local TCP connections may speak for the session. */
  readonly uid?: number | undefined
}

/** How long a call waits for the binding of an agent that is still starting. */
const BINDING_WAIT = Duration.seconds(10)

/**
 * The binding of a session: `undefined` for an unbound one; for a bound one, what its agent's
 * runtime recorded (waiting while it starts; nothing allowed if that never happens).
 */
export const bindingOf = (session: Session): Effect.Effect<SessionBinding | undefined> =>
  session.binding === undefined
    ? Effect.succeed(undefined)
    : Deferred.await(session.binding).pipe(Effect.timeoutTo({ duration: BINDING_WAIT, onTimeout: () => ({ addresses: [] }), onSuccess: (b) => b }))

export class SessionNotFound extends Data.TaggedError("SessionNotFound")<{ readonly sessionId: string }> {
  override get message() {
    return `unknown session ${shortSecret(this.sessionId)}`
  }
}

export interface SessionsService {
  /**
   * A new session for a triple with a fresh key. `bound`: its calls will only be accepted from
   * where `bind` says (its agent's socket, container address or uid).
   */
  readonly create: (triple: Triple, options?: { readonly bound?: boolean }) => Effect.Effect<Session>
  /** Fixes where a bound session's calls may come from (once, after its agent started). */
  readonly bind: (id: SessionId, binding: SessionBinding) => Effect.Effect<void>
  /** Records which container or process runs the session. */
  readonly bindContainer: (id: SessionId, containerId: string) => Effect.Effect<void, SessionNotFound>
  readonly get: (id: SessionId) => Effect.Effect<Option.Option<Session>>
  readonly list: Effect.Effect<ReadonlyArray<Session>>
  /** Live sessions serving a triple. */
  readonly countFor: (triple: { developer: string; agent: string; agentMethod: string }) => Effect.Effect<number>
  /**
   * Ends a session: it can no longer call the API, and the jobs it still held are returned
   * (marked failed in the JobStore with `reason`) for the caller to fail on chain.
   */
  readonly revoke: (id: SessionId, reason: string) => Effect.Effect<ReadonlyArray<JobReport>>
  /** The session's agent asked for a job now (GetJob). */
  readonly polled: (id: SessionId) => Effect.Effect<void>
  /** Live sessions of the triple whose agent has not asked for a job since `before` (ms; since creation if never). */
  readonly idleSince: (triple: { developer: string; agent: string; agentMethod: string }, before: number) => Effect.Effect<number>
  /** `get`, synchronously: for the agent API's fast path (AgentApi/fastPath.ts). */
  readonly unsafeGet: (id: SessionId) => Session | undefined
  /** `polled`, synchronously. */
  readonly unsafePolled: (id: SessionId) => void
  /**
   * The session's binding when it is known now: `undefined` for an unbound session, `"waiting"`
   * while the agent of a bound one is still starting (then `bindingOf` waits for it).
   */
  readonly unsafeBinding: (session: Session) => SessionBinding | undefined | "waiting"
}

export class Sessions extends Context.Tag("silvana/Sessions")<Sessions, SessionsService>() {
  static readonly layer = Layer.effect(
    Sessions,
    Effect.gen(function* () {
      const store = yield* JobStore
      const clock = yield* Effect.clock
      const live = new Map<SessionId, Session>()
      const perTriple = new Map<string, number>()
      const lastPoll = new Map<SessionId, number>()
      /** Bindings already given to `bind`, read by the fast path without awaiting the Deferred. */
      const bound = new Map<SessionId, SessionBinding>()

      const create = (triple: Triple, options: { readonly bound?: boolean } = {}) =>
        Effect.gen(function* () {
          const binding = options.bound === true ? yield* Deferred.make<SessionBinding>() : undefined
          const key = Ed25519Keypair.generate()
          const session: Session = {
            id: SessionId.make(key.toSuiAddress()),
            triple: Triple.make({ developer: triple.developer, agent: triple.agent, agentMethod: triple.agentMethod }),
            privateKey: Redacted.make(key.getSecretKey()),
            callKey: Redacted.make(callMacKey(decodeSuiPrivateKey(key.getSecretKey()).secretKey)),
            createdAt: clock.unsafeCurrentTimeMillis(),
            containerId: undefined,
            binding
          }
          live.set(session.id, session)
          const k = tripleKey(triple)
          perTriple.set(k, (perTriple.get(k) ?? 0) + 1)
          return session
        }).pipe(Effect.withSpan("Sessions.create"))

      const bindContainer = (id: SessionId, containerId: string) =>
        Effect.suspend(() => {
          const s = live.get(id)
          if (s === undefined) return Effect.fail(new SessionNotFound({ sessionId: id }))
          live.set(id, { ...s, containerId })
          return Effect.void
        })

      const revoke = (id: SessionId, reason: string) =>
        Effect.suspend(() => {
          const s = live.get(id)
          lastPoll.delete(id)
          bound.delete(id)
          if (s !== undefined) {
            live.delete(id)
            const k = tripleKey(s.triple)
            const n = (perTriple.get(k) ?? 1) - 1
            if (n <= 0) perTriple.delete(k)
            else perTriple.set(k, n)
          }
          // Release even for an unknown id: revocation is idempotent and must never strand jobs.
          return store.releaseSession(id, reason)
        }).pipe(Effect.withSpan("Sessions.revoke", { attributes: { session_id: shortSecret(id) } }))

      const polled = (id: SessionId) => {
        if (live.has(id)) lastPoll.set(id, clock.unsafeCurrentTimeMillis())
      }

      return Sessions.of({
        create,
        bindContainer,
        get: (id) => Effect.sync(() => Option.fromNullable(live.get(id))),
        list: Effect.sync(() => [...live.values()]),
        countFor: (t) => Effect.sync(() => perTriple.get(tripleKey(t)) ?? 0),
        revoke,
        polled: (id) => Effect.sync(() => polled(id)),
        idleSince: (t, before) =>
          Effect.sync(() => {
            const k = tripleKey(t)
            let n = 0
            for (const s of live.values()) if (tripleKey(s.triple) === k && (lastPoll.get(s.id) ?? s.createdAt) < before) n += 1
            return n
          }),
        bind: (id, binding) =>
          Effect.suspend(() => {
            const d = live.get(id)?.binding
            if (d === undefined) return Effect.void
            return Effect.map(Deferred.succeed(d, binding), (first) => {
              if (first) bound.set(id, binding)
            })
          }),
        unsafeGet: (id) => live.get(id),
        unsafePolled: polled,
        unsafeBinding: (session) => (session.binding === undefined ? undefined : (bound.get(session.id) ?? "waiting"))
      })
    })
  )
}
