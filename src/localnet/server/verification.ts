/**
 * `SignatureVerificationService.VerifySignature` (what the SDK's `verifyZkLoginSignature` calls) and
 * `NameService`, as a full node answers them on a chain like the localnet's:
 * - VerifySignature: MystenLabs/sui crates/sui-rpc-api/src/grpc/v2/signature_verification_service.rs.
 *   The message is a `TransactionData` or a `PersonalMessage` (by its BCS name; another name is
 *   tried as a personal message, then as a transaction); an `address` that is not the signer's
 *   answers `is_valid: false` with "provided address `A` does not match derived address `D`"; a
 *   signature that does not verify answers `is_valid: false` with the reason. Missing or
 *   undecodable fields are field violations (INVALID_ARGUMENT). Ed25519, Secp256k1, Secp256r1,
 *   multisig and passkey signatures are verified (with the SDK's verifiers); zkLogin ones are not
 *   valid here, as on a node with no active JWK for their issuer (the localnet has none).
 * - NameService: crates/sui-rpc-api/src/grpc/v2/name_service.rs, `name_service_config`: SuiNS is
 *   configured for mainnet and testnet only; any other chain answers UNIMPLEMENTED "SuiNS not
 *   configured for this network" (the SDK's `resolveNameServiceAddress` passes that on).
 */
import { bcs } from "@mysten/sui/bcs"
import { parseSerializedSignature, type SignatureScheme } from "@mysten/sui/cryptography"
import type { GrpcTypes } from "@mysten/sui/grpc"
import { normalizeSuiAddress, toBase64 } from "@mysten/sui/utils"
import { verifyPersonalMessageSignature, verifyTransactionSignature } from "@mysten/sui/verify"
import type { ServiceHandlers } from "./rpc.js"
import { invalidArgument, RpcStatusError, Status } from "./status.js"

type Message = { readonly kind: "transaction" | "personal"; readonly bytes: Uint8Array }

/** The signed message by its BCS name, as the node decodes it. */
const messageOf = (m: GrpcTypes.Bcs | undefined): Message => {
  if (m?.value === undefined) throw invalidArgument("missing message")
  if (m.name === "TransactionData") return { kind: "transaction", bytes: m.value }
  const personal = (): Uint8Array | undefined => {
    try {
      return new Uint8Array(bcs.byteVector().parse(m.value!))
    } catch {
      return undefined
    }
  }
  const bytes = personal()
  if (bytes !== undefined) return { kind: "personal", bytes }
  if (m.name === "PersonalMessage") throw invalidArgument("message: invalid PersonalMessage")
  return { kind: "transaction", bytes: m.value }
}

const signatureOf = (s: GrpcTypes.UserSignature | undefined): { serialized: string; scheme: SignatureScheme } => {
  const bytes = s?.bcs?.value
  if (bytes === undefined || bytes.length === 0) throw invalidArgument("missing signature")
  const serialized = toBase64(bytes)
  try {
    return { serialized, scheme: parseSerializedSignature(serialized).signatureScheme }
  } catch (e) {
    throw invalidArgument(`invalid signature: ${(e as Error).message}`)
  }
}

const invalid = (reason: string): GrpcTypes.VerifySignatureResponse => ({ isValid: false, reason })

export const verifySignature = async (req: GrpcTypes.VerifySignatureRequest): Promise<GrpcTypes.VerifySignatureResponse> => {
  const { serialized, scheme } = signatureOf(req.signature)
  const message = messageOf(req.message)
  let wanted: string | undefined
  if (req.address !== undefined) {
    try {
      wanted = normalizeSuiAddress(req.address)
    } catch {
      throw invalidArgument(`invalid address: ${req.address}`)
    }
  }
  if (scheme === "ZkLogin") return invalid("zkLogin signature: no active JWK for its issuer on this network")
  let signer: string
  try {
    const key =
      message.kind === "transaction"
        ? await verifyTransactionSignature(message.bytes, serialized)
        : await verifyPersonalMessageSignature(message.bytes, serialized)
    signer = key.toSuiAddress()
  } catch (e) {
    return invalid((e as Error).message)
  }
  if (wanted !== undefined && wanted !== signer) return invalid(`provided address \`${wanted}\` does not match derived address \`${signer}\``)
  return { isValid: true }
}

const suinsNotConfigured = () => new RpcStatusError(Status.UNIMPLEMENTED, "SuiNS not configured for this network")

export const signatureVerificationHandlers = (): ServiceHandlers => ({ VerifySignature: verifySignature })

export const nameServiceHandlers = (): ServiceHandlers => ({
  LookupName: () => {
    throw suinsNotConfigured()
  },
  ReverseLookupName: () => {
    throw suinsNotConfigured()
  }
})
