/** How the Agent SDK reads the container environment. */
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { AgentClient, AgentEnvError, coordinatorAddress, readAgentEnv, tcpAddress } from "../../src/index.js"

const base = {
  SESSION_ID: `0x${"1".repeat(64)}`,
  SESSION_PRIVATE_KEY: "suiprivkey1xyz",
  DEVELOPER: "dev",
  AGENT: "adder",
  AGENT_METHOD: "add",
  CHAIN: "localnet",
  COORDINATOR_ID: `0x${"2".repeat(64)}`
}

describe("agent env", () => {
  it("reads identity and the socket as unix:///absolute/path", () => {
    const env = readAgentEnv({ ...base, COORDINATOR_SOCKET: "/run/silvana/coordinator.sock" })
    expect(env).toEqual({
      sessionId: base.SESSION_ID,
      sessionPrivateKey: "suiprivkey1xyz",
      callProof: "ed25519",
      developer: "dev",
      agent: "adder",
      agentMethod: "add",
      chain: "localnet",
      coordinatorId: base.COORDINATOR_ID,
      address: "unix:///run/silvana/coordinator.sock"
    })
  })

  it("proves calls as SESSION_CALL_PROOF says: hmac where the coordinator offers it, else ed25519; anything else is refused", () => {
    const withProof = (v: string | undefined) => readAgentEnv({ ...base, COORDINATOR_SOCKET: "/s.sock", ...(v === undefined ? {} : { SESSION_CALL_PROOF: v }) }).callProof
    expect(withProof("hmac")).toBe("hmac")
    expect(withProof("ed25519")).toBe("ed25519")
    expect(withProof(undefined)).toBe("ed25519")
    expect(() => withProof("rsa")).toThrow(/^SESSION_CALL_PROOF: is ed25519 or hmac, not "rsa"/)
  })

  it("resolves a relative socket path", () => {
    expect(coordinatorAddress({ COORDINATOR_SOCKET: "run/c.sock" })).toBe(`unix://${path.resolve("run/c.sock")}`)
  })

  it("prefers the socket when its file exists, else the URL", () => {
    const env = { COORDINATOR_SOCKET: "/s.sock", COORDINATOR_URL: "http://host.docker.internal:50051" }
    expect(coordinatorAddress(env, () => true)).toBe("unix:///s.sock")
    expect(coordinatorAddress(env, () => false)).toBe("host.docker.internal:50051")
    expect(coordinatorAddress({ COORDINATOR_URL: "http://10.0.0.1:7000/" })).toBe("10.0.0.1:7000")
  })

  it("turns URLs into host:port and refuses other schemes", () => {
    expect(tcpAddress("http://[::1]:50051")).toBe("[::1]:50051")
    expect(tcpAddress("http://example.org")).toBe("example.org:80")
    expect(() => tcpAddress("https://example.org:443")).toThrow(AgentEnvError)
    expect(() => tcpAddress("not a url")).toThrow(/COORDINATOR_URL/)
  })

  it("names the missing variable", () => {
    const { SESSION_ID: _, ...noSession } = base
    expect(() => AgentClient.fromEnv({ ...noSession, COORDINATOR_SOCKET: "/s" })).toThrow(/^SESSION_ID: is not set/)
    expect(() => AgentClient.fromEnv({ ...base, AGENT_METHOD: "  " , COORDINATOR_SOCKET: "/s" })).toThrow(/AGENT_METHOD/)
    expect(() => AgentClient.fromEnv(base)).toThrow(/COORDINATOR_SOCKET nor COORDINATOR_URL/)
    try {
      AgentClient.fromEnv(base)
    } catch (e) {
      expect(e).toBeInstanceOf(AgentEnvError)
      expect((e as AgentEnvError).variable).toBe("COORDINATOR_SOCKET")
    }
  })
})
