/**
 * What the status page may show of ids and free text: a session id only as a short prefix (the
 * whole id is the agent's credential name on every call), and no Sui private key that an agent
 * might have printed.
 */

import { shortSecret } from "../../domain/redact.js"

/** `0x1234abcd…`: enough to tell sessions apart on one screen, not the whole address (as everywhere else). */
export const shortId = (id: string): string => shortSecret(id.startsWith("0x") ? id : `0x${id}`)

const PRIVATE_KEY = /suiprivkey1[0-9a-z]+/gi
const LONG_HEX = /0x[0-9a-fA-F]{64}/g

/**
 * Text from an agent (its messages and output) with private keys removed and every listed id
 * (sessions) shortened.
 */
export const scrub = (text: string, ids: Iterable<string>): string => {
  let out = text.replace(PRIVATE_KEY, "suiprivkey…(redacted)")
  const hide = new Set<string>()
  for (const id of ids) hide.add(id.toLowerCase().replace(/^0x/, ""))
  if (hide.size > 0) {
    out = out.replace(LONG_HEX, (m) => (hide.has(m.slice(2).toLowerCase()) ? shortId(m) : m))
    for (const h of hide) if (out.includes(h)) out = out.split(h).join(`${h.slice(0, 8)}…`)
  }
  return out
}
