/**
 * Job ids handed to agents: `sn` + base56(sha256(...)), like the deployed coordinator. A per-store
 * random salt and a counter make every id unique even for the same job started twice (a retried
 * job gets a fresh id, so a late report about the previous attempt cannot touch the new one).
 */
import { createHash, randomBytes } from "node:crypto"
import { JobId } from "./ids.js"

const BASE56 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"

/**
 * Base56 (no 0, 1, I, O, l, o) of a byte string, most significant digit first. The digits are
 * joined once, so the result is one flat string: prepending digit by digit left a chain of ~30
 * concatenation nodes per id on the heap (about 1 KB per stored job).
 */
export const base56 = (bytes: Uint8Array): string => {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  const digits: Array<string> = []
  while (n > 0n) {
    digits.push(BASE56[Number(n % 56n)]!)
    n /= 56n
  }
  return digits.length === 0 ? BASE56[0]! : digits.reverse().join("")
}

export interface JobIdInput {
  readonly coordinatorId: string
  readonly chain: string
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly appInstance: string
  readonly jobSequence: bigint
}

/** Makes job ids for one coordinator process. */
export const makeJobIdGenerator = () => {
  const salt = randomBytes(16).toString("hex")
  let counter = 0
  return (input: JobIdInput, nowMs: number = Date.now()): JobId => {
    counter += 1
    const digest = createHash("sha256")
      .update(
        JSON.stringify([
          input.coordinatorId,
          input.developer,
          input.agent,
          input.agentMethod,
          input.appInstance,
          input.jobSequence.toString(),
          nowMs,
          input.chain,
          salt,
          counter
        ])
      )
      .digest()
    return JobId.make(`sn${base56(digest)}`)
  }
}
