/**
 * The `/v1/*` guard on the real HTTP server: the bearer token of STATE_DIR/api-token (created 0600
 * once, the same on the next start), the Host check against DNS rebinding, and the open probes.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Option, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hostAllowed, loadOrCreateApiToken, readApiToken } from "../../src/layers/HttpAuth.js"
import { startOps } from "./fixture.js"

type Ops = Awaited<ReturnType<typeof startOps>>

/** A raw GET, so that the Host header is exactly what a rebinding page would send. */
const rawGet = (url: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { headers }, (res) => {
      let body = ""
      res.on("data", (c) => (body += c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.once("error", reject)
    req.end()
  })

describe("the /v1/* guard", () => {
  let ops: Ops
  beforeAll(async () => {
    ops = await startOps()
  })
  afterAll(() => ops.close())

  it("refuses /v1/* without the token or with another one; the probes stay open", async () => {
    const port = ops.http.address.port
    for (const p of ["/v1/status", "/v1/jobs", "/v1/agents", "/v1/config", "/v1/nope"]) {
      const none = await rawGet(`http://127.0.0.1:${port}${p}`, {})
      expect(none.status).toBe(401)
      expect(none.body).not.toMatch(/session|suiprivkey/)
      expect((await rawGet(`http://127.0.0.1:${port}${p}`, { authorization: `Bearer ${"0".repeat(64)}` })).status).toBe(401)
      expect((await rawGet(`http://127.0.0.1:${port}${p}`, { authorization: ops.token })).status).toBe(401)
    }
    expect((await rawGet(`http://127.0.0.1:${port}/v1/status`, { authorization: `Bearer ${ops.token}` })).status).toBe(200)
    for (const p of ["/health", "/ready", "/metrics"]) expect((await rawGet(`http://127.0.0.1:${port}${p}`, {})).status).toBe(200)
  })

  it("refuses a Host that names another site (DNS rebinding), even with the token", async () => {
    const url = `http://127.0.0.1:${ops.http.address.port}/v1/status`
    const auth = { authorization: `Bearer ${ops.token}` }
    expect((await rawGet(url, { ...auth, host: `evil.example:${ops.http.address.port}` })).status).toBe(403)
    expect((await rawGet(url, { ...auth, host: `localhost:${ops.http.address.port}` })).status).toBe(200)
    expect((await rawGet(url, { ...auth, host: `[::1]:${ops.http.address.port}` })).status).toBe(200)
  })

  it("the token file is 0600, reused on the next start, and what the CLI reads", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "silvana-token-"))
    const first = await Effect.runPromise(loadOrCreateApiToken(path.join(dir, "api-token")))
    const second = await Effect.runPromise(loadOrCreateApiToken(path.join(dir, "api-token")))
    expect(Redacted.value(first)).toMatch(/^[0-9a-f]{64}$/)
    expect(Redacted.value(second)).toBe(Redacted.value(first))
    expect(statSync(path.join(dir, "api-token")).mode & 0o777).toBe(0o600)
    expect(readFileSync(path.join(dir, "api-token"), "utf8").trim()).toBe(Redacted.value(first))
    expect(readApiToken({ STATE_DIR: dir })).toEqual(Option.some(Redacted.value(first)))
    expect(readApiToken({ STATE_DIR: dir, SILVANA_API_TOKEN: "abc" })).toEqual(Option.some("abc"))
  })

  it("allows IP literals, localhost and listed names only", () => {
    expect(hostAllowed("127.0.0.1:8080", [])).toBe(true)
    expect(hostAllowed("[::1]:8080", [])).toBe(true)
    expect(hostAllowed("LOCALHOST", [])).toBe(true)
    expect(hostAllowed("coordinator.internal:8080", [])).toBe(false)
    expect(hostAllowed("coordinator.internal:8080", ["coordinator.internal"])).toBe(true)
    expect(hostAllowed("127.0.0.1.evil.example", [])).toBe(false)
    expect(hostAllowed(undefined, [])).toBe(false)
  })
})
