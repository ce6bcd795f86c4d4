/**
 * Conformance flow of `VerifySignature` (the SDK core client's `verifyZkLoginSignature`): the
 * key's own personal-message signature verifies for its address, and is refused for another
 * address and for other bytes.
 */
import { toBase64 } from "@mysten/sui/utils"
import { check, type Flow } from "./support.js"

export const signatureFlows: ReadonlyArray<Flow> = [
  ["VerifySignature: a personal message, for its signer and for another address", async (c) => {
    const message = new TextEncoder().encode(`conformance ${c.address}`)
    const { signature } = await c.key.signPersonalMessage(message)
    const verify = (bytes: Uint8Array, address: string) =>
      c.client.core.verifyZkLoginSignature({ bytes: toBase64(bytes), signature, intentScope: "PersonalMessage", address })
    const ok = await verify(message, c.address)
    check(ok.success, `the signer's own signature was refused: ${ok.errors.join("; ")}`)
    const other = "0x" + "ab".repeat(32)
    const wrong = await verify(message, other)
    check(!wrong.success && /does not match derived address/.test(wrong.errors[0] ?? ""), `another address: ${JSON.stringify(wrong)}`)
    const tampered = await verify(new TextEncoder().encode("other bytes"), c.address)
    check(!tampered.success, "a signature over other bytes verified")
    return "valid for its signer only"
  }]
]
