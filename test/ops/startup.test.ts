/**
 * Start-up failures as an operator meets them: the real command line (`tsx src/main.ts start`) in
 * each bad situation prints one line naming what to fix and exits with code 2 — before it boots
 * anything (no localnet, no journal). Each situation is made here: temp dirs, addresses this test
 * holds open, a lock held by a live process.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cleanEnv, spawnCli } from "./processes.js"
import { STALL_MS } from "../support/wait.js"

/** Backstop of a test on a loaded machine; its waits give up sooner when nothing moves. */
const BACKSTOP_MS = 600_000

const KEY = Ed25519Keypair.generate().getSecretKey()

const startWith = async (extra: Record<string, string>) => {
  const child = spawnCli(["start"], cleanEnv(extra))
  const timer = setTimeout(() => void child.stop("SIGKILL"), STALL_MS)
  const code = await child.exited
  clearTimeout(timer)
  return { code, lines: child.output().trim().split("\n") }
}

const listen = (server: net.Server, where: net.ListenOptions) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(where, () => resolve())
  })

describe("start-up failures: one line naming what to fix, exit code 2", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-startup-"))
  const held = { http: net.createServer(), socket: net.createServer() }
  let busyPort = 0
  const socketPath = path.join(dir, "live.sock")
  const base = () => ({
    STATE_DIR: mkdtempSync(path.join(dir, "state-")),
    GRPC_SOCKET_PATH: path.join(mkdtempSync(path.join(dir, "s-")), "c.sock"),
    GRPC_TCP_ADDRESS: "127.0.0.1:0",
    HTTP_ADDRESS: "127.0.0.1:0",
    AGENT_RUNTIME: "process"
  })
  const withNode = () => ({ ...base(), SUI_RPC_URL: "http://127.0.0.1:1", SUI_PRIVATE_KEY: KEY, SILVANA_REGISTRY_PACKAGE: "0x1", SILVANA_REGISTRY: "0x2" })

  beforeAll(async () => {
    await listen(held.http, { host: "127.0.0.1", port: 0 })
    busyPort = (held.http.address() as net.AddressInfo).port
    await listen(held.socket, { path: socketPath })
  })
  afterAll(() => {
    held.http.close()
    held.socket.close()
  })

  const file = path.join(dir, "a-file")
  writeFileSync(file, "")
  const cases: ReadonlyArray<[string, () => Record<string, string>, RegExp]> = [
    ["a count in hex", () => ({ ...base(), MAX_AGENTS_PER_TRIPLE: "0x10" }), /^invalid configuration: MAX_AGENTS_PER_TRIPLE: expected a positive integer, got "0x10"$/],
    ["an empty key", () => ({ ...base(), SUI_PRIVATE_KEY: "" }), /^invalid configuration: SUI_PRIVATE_KEY: empty$/],
    ["a socket path over 107 bytes", () => ({ ...base(), GRPC_SOCKET_PATH: `${dir}/${"x".repeat(110)}` }), /GRPC_SOCKET_PATH: longer than the 107 bytes/],
    ["a STATE_DIR that cannot be a directory", () => ({ ...base(), STATE_DIR: path.join(file, "state") }), /^cannot start: STATE_DIR: .*ENOTDIR/],
    ["a live process on the socket", () => ({ ...base(), GRPC_SOCKET_PATH: socketPath }), /^cannot start: GRPC_SOCKET_PATH: another process .* is serving on /],
    ["the HTTP port in use", () => ({ ...base(), HTTP_ADDRESS: `127.0.0.1:${busyPort}` }), /^cannot start: HTTP_ADDRESS: 127\.0\.0\.1:\d+ is in use by another process/],
    ["the agent API port in use", () => ({ ...base(), GRPC_TCP_ADDRESS: `127.0.0.1:${busyPort}` }), /^cannot start: GRPC_TCP_ADDRESS: 127\.0\.0\.1:\d+ is in use by another process/],
    ["a key that is not a key", () => ({ ...withNode(), SUI_PRIVATE_KEY: "suiprivkey1nope" }), /^cannot start: SUI_PRIVATE_KEY: /],
    ["an address the key does not derive", () => ({ ...withNode(), SUI_ADDRESS: "0x5" }), /^cannot start: SUI_ADDRESS: the private key derives 0x[0-9a-f]{64}, not 0x0+5$/],
    [
      "another coordinator's lock",
      () => {
        const env = base()
        writeFileSync(path.join(env.STATE_DIR, "coordinator.lock"), JSON.stringify({ pid: process.pid, started_at: "2026-01-02T03:04:05.000Z", host: os.hostname() }))
        return env
      },
      new RegExp(`^cannot start: another coordinator is running on STATE_DIR .* \\(pid ${process.pid}, started at 2026-01-02T03:04:05\\.000Z\\)`)
    ]
  ]

  for (const [name, env, expected] of cases) {
    it(name, async () => {
      const { code, lines } = await startWith(env())
      expect(lines, lines.join("\n")).toHaveLength(1)
      expect(lines[0]).toMatch(expected)
      expect(code).toBe(2)
    }, BACKSTOP_MS)
  }
})
