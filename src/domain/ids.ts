/**
 * Branded identifiers of the domain, so that a job id can never be passed where a session id is
 * expected.
 */
import { Schema } from "effect"

/** A Sui address: `0x` + 64 lowercase hex digits. */
export const SuiAddress = Schema.String.pipe(
  Schema.pattern(/^0x[0-9a-f]{64}$/),
  Schema.brand("SuiAddress")
)
export type SuiAddress = typeof SuiAddress.Type

/**
 * A Sui address or object id as written (`0x` + 1 to 64 hex digits, any case, leading zeros
 * dropped) → the 64-hex `SuiAddress`; encodes back to that form.
 */
export const SuiAddressFromString = Schema.transform(Schema.String.pipe(Schema.pattern(/^0[xX][0-9a-fA-F]{1,64}$/)), SuiAddress, {
  strict: true,
  decode: (s) => `0x${s.slice(2).toLowerCase().padStart(64, "0")}`,
  encode: (a) => a
})

const sessionIdPattern = /^0x[0-9a-f]{64}$/
/** A session is named by its Ed25519 key's Sui address. */
export const SessionId = Schema.String.pipe(Schema.pattern(sessionIdPattern), Schema.brand("SessionId"))
export type SessionId = typeof SessionId.Type
/**
 * `SessionId`'s own check as a plain guard, for the agent API's per-call path. A decode builds a
 * parse result and an Either on each call: in bench:api's coordinator those were 5 % of all bytes
 * allocated, the most after the gRPC stack's own.
 */
export const isSessionId = (s: string): s is SessionId => sessionIdPattern.test(s)

const jobIdPattern = /^sn[2-9A-HJ-NP-Za-km-np-z]+$/
/** Opaque job id handed to agents; always begins with `sn`. */
export const JobId = Schema.String.pipe(Schema.pattern(jobIdPattern), Schema.brand("JobId"))
export type JobId = typeof JobId.Type
/** `JobId`'s own check as a plain guard (as `isSessionId`). */
export const isJobId = (s: string): s is JobId => jobIdPattern.test(s)

/** An AppInstance object id as events carry it: 64 hex digits, no `0x`. */
export const AppInstanceId = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/), Schema.brand("AppInstanceId"))
export type AppInstanceId = typeof AppInstanceId.Type

/** The `(developer, agent, agent_method)` triple an agent image serves. */
export class Triple extends Schema.Class<Triple>("Triple")({
  developer: Schema.String,
  agent: Schema.String,
  agentMethod: Schema.String
}) {}

/** A stable map key for a triple (names cannot contain NUL). */
export const tripleKey = (t: { readonly developer: string; readonly agent: string; readonly agentMethod: string }): string =>
  `${t.developer}\u0000${t.agent}\u0000${t.agentMethod}`

/**
 * An app instance id as written anywhere (`0x…` or bare hex, any case, leading zeros dropped) →
 * the 64-hex `AppInstanceId`; encodes back to that form. Anything that is not 1 to 64 hex digits fails.
 */
export const AppInstanceIdFromString = Schema.transform(Schema.String.pipe(Schema.pattern(/^(0[xX])?[0-9a-fA-F]{1,64}$/)), AppInstanceId, {
  strict: true,
  decode: (id) => id.toLowerCase().replace(/^0x/, "").padStart(64, "0"),
  encode: (id) => id
})

/** Normalises an app instance id through `AppInstanceIdFromString`; throws on one that is not hex. */
export const normalizeAppInstance: (id: string) => AppInstanceId = Schema.decodeSync(AppInstanceIdFromString)
