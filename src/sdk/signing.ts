/**
 * Signing for the Agent SDK: every call carries a proof that the caller holds the session's key
 * (`SESSION_PRIVATE_KEY`), which the coordinator requires with `SESSION_AUTH=strict` and checks
 * whenever present. The wire format is in domain/callSignature.ts and docs/security.md; other
 * clients (Connect, another language) sign the same bytes with `sessionSigner(key).sign`. Where the
 * coordinator offers it (`SESSION_CALL_PROOF=hmac`), the proof is an HMAC under the session's call
 * key instead of a signature: the same guarantee to that coordinator, for a fraction of the CPU.
 */
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography"
import { type ClientMiddleware, Metadata } from "nice-grpc"
import { type CallMacHeaders, callMacSigner, type CallProof, callSigner, type CallSigner, type CallSignatureHeaders } from "../domain/callSignature.js"
import { CoordinatorServiceDefinition } from "../gen/silvana/coordinator/v1/coordinator.js"
import { AgentEnvError } from "./errors.js"

export type { CallProof, CallSigner } from "../domain/callSignature.js"

/**
 * A signer for a session's `suiprivkey1…` key, proving calls as `proof` says (default: Ed25519
 * signatures); throws `AgentEnvError` when it is not an Ed25519 key.
 */
export function sessionSigner(privateKey: string, proof?: "ed25519"): CallSigner<CallSignatureHeaders>
export function sessionSigner(privateKey: string, proof: "hmac"): CallSigner<CallMacHeaders>
export function sessionSigner(privateKey: string, proof?: CallProof): CallSigner
export function sessionSigner(privateKey: string, proof: CallProof = "ed25519"): CallSigner {
  let parsed: ReturnType<typeof decodeSuiPrivateKey>
  try {
    parsed = decodeSuiPrivateKey(privateKey)
  } catch (e) {
    throw new AgentEnvError("SESSION_PRIVATE_KEY", `is not a Sui private key (suiprivkey1…): ${(e as Error).message}`)
  }
  if (parsed.scheme !== "ED25519") throw new AgentEnvError("SESSION_PRIVATE_KEY", `is a ${parsed.scheme} key; sessions use Ed25519`)
  return proof === "hmac" ? callMacSigner(parsed.secretKey) : callSigner(parsed.secretKey)
}

interface Codec {
  encode(message: unknown): { finish(): Uint8Array }
  fromPartial(object: unknown): unknown
}

/** Request encoders by gRPC path: the same encoding the client sends (fromPartial, then encode). */
const encoders: ReadonlyMap<string, (request: unknown) => Uint8Array> = new Map(
  Object.values(CoordinatorServiceDefinition.methods).map((m) => {
    const codec = m.requestType as unknown as Codec
    return [`/${CoordinatorServiceDefinition.fullName}/${m.name}`, (request: unknown) => codec.encode(codec.fromPartial(request)).finish()] as const
  })
)

/**
 * A nice-grpc client middleware that signs every unary call of the agent service with `signer`.
 * `now` is the clock the timestamp is read from (milliseconds since the epoch).
 */
export const signingMiddleware = (signer: CallSigner, now: () => number = Date.now): ClientMiddleware =>
  async function* sign(call, options) {
    const encode = encoders.get(call.method.path)
    if (call.requestStream || encode === undefined) return yield* call.next(call.request as never, options)
    const metadata = Metadata(options.metadata)
    for (const [name, value] of Object.entries(signer.sign(call.method.path, encode(call.request), now()))) metadata.set(name, value)
    return yield* call.next(call.request, { ...options, metadata })
  }
