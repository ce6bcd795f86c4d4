/**
 * Who may speak for a session: the transport a call arrived on must belong to the session's own
 * agent. A session id alone (read from a log, a process list, a leaked file) is not enough.
 *
 * - Its own socket: each agent the coordinator starts gets a socket of its own (the only one
 *   mounted into its container, or created 0600 for the agent's uid); a call there names its
 *   session, and only that session may be used on it.
 * - TCP from a container: the peer address must be the container's own address on its network.
 * - TCP over loopback (process agents, TEE containers on the host network): the connecting socket
 *   must belong to the agent's uid, read from the kernel's socket table (/proc/net/tcp{,6}).
 * - The shared socket is for sessions nobody bound (tests, embedders); a bound session is refused there.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import type { SessionId } from "../../domain/ids.js"
import { shortSecret } from "../../domain/redact.js"
import type { SessionBinding } from "../Sessions.js"


/** The listener a call arrived on. */
export type Transport =
  | { readonly _tag: "SharedSocket" }
  | { readonly _tag: "SessionSocket"; readonly sessionId: SessionId }
  | { readonly _tag: "Tcp"; readonly peer: string; readonly serverPort: number }

/** `1.2.3.4:5678`, `::ffff:1.2.3.4:5678`, `::1:5678` → address and port. */
export const parsePeer = (peer: string): { readonly address: string; readonly port: number } | undefined => {
  const i = peer.lastIndexOf(":")
  if (i <= 0) return undefined
  const port = Number(peer.slice(i + 1))
  if (!Number.isInteger(port)) return undefined
  const address = peer.slice(0, i).replace(/^\[|\]$/g, "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "")
  return { address, port }
}

/** Loopback, or an address of this host's own interfaces (a process reaching the bridge gateway). */
const isLocal = (a: string) =>
  a === "::1" ||
  /^127\./.test(a) ||
  Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((i) => i.address === a))

/** Port numbers of a /proc/net/tcp address column (`0100007F:1F90`). */
const portOf = (column: string) => parseInt(column.slice(column.indexOf(":") + 1), 16)

/**
 * The uid owning the local TCP socket with local port `port` connected to local port `serverPort`
 * (both ends on this host), from /proc/net/tcp and tcp6.
 */
export const loopbackPeerUid = (port: number, serverPort: number): number | undefined => {
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string
    try {
      text = fs.readFileSync(table, "utf8")
    } catch {
      continue
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 8) continue
      if (portOf(cols[1]!) === port && portOf(cols[2]!) === serverPort) return Number(cols[7])
    }
  }
  return undefined
}

/** Why the call may not use this session, or `undefined` when it may. */
export const bindingRefusal = (
  sessionId: SessionId,
  binding: SessionBinding | undefined,
  transport: Transport,
  peerUid: (port: number, serverPort: number) => number | undefined = loopbackPeerUid
): string | undefined => {
  const who = `session ${shortSecret(sessionId)}`
  if (transport._tag === "SessionSocket") {
    return transport.sessionId === sessionId ? undefined : `this socket belongs to another session; ${who} cannot be used here`
  }
  if (binding === undefined) return undefined
  if (transport._tag === "SharedSocket") {
    return `${who} is bound to its agent: call on the agent's own socket (COORDINATOR_SOCKET) or from its container`
  }
  const peer = parsePeer(transport.peer)
  if (peer === undefined) return `${who}: the caller's address is unknown`
  if (binding.addresses.includes(peer.address)) return undefined
  if (binding.uid !== undefined && isLocal(peer.address) && peerUid(peer.port, transport.serverPort) === binding.uid) return undefined
  return `${who} is bound to its agent; calls from ${peer.address} are not accepted for it`
}
