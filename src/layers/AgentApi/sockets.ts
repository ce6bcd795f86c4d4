/**
 * The agent API's Unix socket files: a stale file is removed before listening (never a live
 * socket, never a file that is not a socket), and the group given access is resolved by name or gid.
 */
import { readFileSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as path from "node:path"
import { Data, Effect } from "effect"

export class AgentApiStartError extends Data.TaggedError("AgentApiStartError")<{ readonly message: string }> {}

const socketIsLive = (p: string) =>
  new Promise<boolean>((resolve) => {
    const s = net.createConnection(p)
    s.once("connect", () => {
      s.destroy()
      resolve(true)
    })
    s.once("error", () => resolve(false))
  })

/** Removes a stale socket file; refuses to touch a live socket or a file that is not a socket. */
export const prepareSocketPath = (p: string) =>
  Effect.tryPromise({
    try: async () => {
      await fs.mkdir(path.dirname(p), { recursive: true })
      const st = await fs.lstat(p).catch(() => undefined)
      if (st === undefined) return
      if (!st.isSocket()) throw new Error(`${p} exists and is not a socket; refusing to replace it`)
      if (await socketIsLive(p)) throw new Error(`another process is serving on ${p}`)
      await fs.unlink(p)
    },
    catch: (e) => new AgentApiStartError({ message: `GRPC_SOCKET_PATH: ${(e as Error).message}` })
  })

/** `GRPC_SOCKET_GROUP`: a gid, or a group name looked up in /etc/group. */
export const resolveGroup = (group: string) =>
  Effect.try({
    try: () => {
      if (/^\d+$/.test(group)) return Number(group)
      const line = readFileSync("/etc/group", "utf8").split("\n").find((l) => l.split(":")[0] === group)
      const gid = line === undefined ? NaN : Number(line.split(":")[2])
      if (!Number.isSafeInteger(gid)) throw new Error(`no group named ${group}`)
      return gid
    },
    catch: (e) => new AgentApiStartError({ message: `GRPC_SOCKET_GROUP: ${(e as Error).message}` })
  })

/** A step on a socket file (mkdir, chmod, chown) whose failure stops the start-up, named by `what`. */
export const socketStep = (what: string, step: () => Promise<void>) =>
  Effect.tryPromise({
    try: step,
    catch: (e) => new AgentApiStartError({ message: `${what}: ${(e as Error).message}` })
  })
