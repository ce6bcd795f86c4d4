/**
 * Reads the environment the coordinator gives every agent (spec/runtime.md) into a typed value.
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import type { CallProof } from "../domain/callSignature.js"
import { AgentEnvError } from "./errors.js"

/** What an agent knows about itself and where its coordinator is. */
export interface AgentEnv {
  readonly sessionId: string
  /** `suiprivkey1…`; undefined when the coordinator did not pass one. */
  readonly sessionPrivateKey: string | undefined
  /**
   * How calls prove the key (`SESSION_CALL_PROOF`): `hmac` when the coordinator offers the
   * session's call key, else `ed25519` signatures (what every coordinator with signed calls checks).
   */
  readonly callProof: CallProof
  readonly developer: string
  readonly agent: string
  readonly agentMethod: string
  readonly chain: string | undefined
  readonly coordinatorId: string | undefined
  /** The nice-grpc address: `unix:///abs/path` or `host:port`. */
  readonly address: string
}

type Env = Readonly<Record<string, string | undefined>>

const required = (env: Env, name: string): string => {
  const v = env[name]?.trim()
  if (v === undefined || v === "") {
    throw new AgentEnvError(name, "is not set; the coordinator sets it for every agent it starts")
  }
  return v
}

const optional = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim()
  return v === undefined || v === "" ? undefined : v
}

/** `unix:///abs/path` — nice-grpc needs the absolute form with three slashes. */
export const socketAddress = (socketPath: string): string => `unix://${path.resolve(socketPath)}`

/** `http://host:port` → `host:port`; rejects other schemes (the agent API is plain h2c). */
export const tcpAddress = (url: string): string => {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new AgentEnvError("COORDINATOR_URL", `expected http://host:port, got ${JSON.stringify(url)}`)
  }
  if (u.protocol !== "http:") {
    throw new AgentEnvError("COORDINATOR_URL", `expected an http:// URL (gRPC over cleartext HTTP/2), got ${JSON.stringify(url)}`)
  }
  // WHATWG URL keeps IPv6 hosts bracketed, which is the form gRPC targets need too.
  return `${u.hostname}:${u.port === "" ? "80" : u.port}`
}

/**
 * Picks the coordinator address: the mounted socket when the file exists, else the TCP URL;
 * a socket path that does not exist is still used when no URL is given (so the error names it).
 */
export const coordinatorAddress = (env: Env, exists: (p: string) => boolean = existsSync): string => {
  const socket = optional(env, "COORDINATOR_SOCKET")
  const url = optional(env, "COORDINATOR_URL")
  if (socket !== undefined && (url === undefined || exists(path.resolve(socket)))) return socketAddress(socket)
  if (url !== undefined) return tcpAddress(url)
  throw new AgentEnvError("COORDINATOR_SOCKET", "neither COORDINATOR_SOCKET nor COORDINATOR_URL is set")
}

const callProofOf = (env: Env): CallProof => {
  const v = optional(env, "SESSION_CALL_PROOF")
  if (v === undefined || v === "ed25519") return "ed25519"
  if (v === "hmac") return "hmac"
  throw new AgentEnvError("SESSION_CALL_PROOF", `is ed25519 or hmac, not ${JSON.stringify(v)}`)
}

/** Reads and checks the agent environment; throws `AgentEnvError` naming the first bad variable. */
export const readAgentEnv = (env: Env = process.env): AgentEnv => ({
  sessionId: required(env, "SESSION_ID"),
  sessionPrivateKey: optional(env, "SESSION_PRIVATE_KEY"),
  callProof: callProofOf(env),
  developer: required(env, "DEVELOPER"),
  agent: required(env, "AGENT"),
  agentMethod: required(env, "AGENT_METHOD"),
  chain: optional(env, "CHAIN"),
  coordinatorId: optional(env, "COORDINATOR_ID"),
  address: coordinatorAddress(env)
})
