/**
 * `POST /v1/failed-jobs/{restart,remove}` on the real HTTP server, for everything decided before
 * the chain is involved: the token, a JSON body only, each malformed body refused with a line that
 * names the field, and a coordinator assembled without the app API answering 503. The call itself
 * (read the instance, send the transaction, the job back to pending) runs in
 * test/e2e/pipelineStall.test.ts through the operator command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startOps } from "./fixture.js"

type Ops = Awaited<ReturnType<typeof startOps>>

describe("POST /v1/failed-jobs/*", () => {
  let ops: Ops
  beforeAll(async () => {
    ops = await startOps()
  })
  afterAll(() => ops.close())

  const post = async (action: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${ops.http.url}/v1/failed-jobs/${action}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ops.token}`, "content-type": "application/json", ...headers },
      body
    })
    return { status: res.status, body: (await res.json()) as { error?: string } }
  }

  it("needs the token", async () => {
    const res = await fetch(`${ops.http.url}/v1/failed-jobs/restart`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ app_instance: "0x1" })
    })
    expect(res.status).toBe(401)
  })

  it("refuses a body that is not JSON, or not declared as JSON", async () => {
    const form = await post("restart", "app_instance=0x1", { "content-type": "application/x-www-form-urlencoded" })
    expect(form.status).toBe(400)
    expect(form.body.error).toContain("expected a JSON body")
    const garbled = await post("restart", "{not json")
    expect(garbled.status).toBe(400)
    expect(garbled.body.error).toBe("the body is not JSON")
  })

  it.each([
    ["no app_instance", {}, "app_instance: is missing"],
    ["a name for an id", { app_instance: "app" }, "app_instance: expected an object id"],
    ["a job that is no number", { app_instance: "0x1", jobs: ["1", "x"] }, "jobs[1]: expected a job sequence as a decimal string"],
    ["a job past u64", { app_instance: "0x1", jobs: ["18446744073709551616"] }, "jobs[0]: a job sequence is a u64"],
    ["jobs not a list", { app_instance: "0x1", jobs: "7" }, "jobs: Expected ReadonlyArray"],
    ["1001 jobs", { app_instance: "0x1", jobs: Array.from({ length: 1001 }, (_, i) => String(i)) }, "jobs: at most 1000 at a time"],
    ["an unknown field", { app_instance: "0x1", all: true }, "all: is unexpected"]
  ] as const)("refuses %s, naming the field", async (_, body, says) => {
    for (const action of ["restart", "remove"]) {
      const r = await post(action, JSON.stringify(body))
      expect(r.status).toBe(400)
      expect(r.body.error).toContain(says)
    }
  })

  it("answers 503 on a coordinator without the app API, and 404 to a GET", async () => {
    const r = await post("remove", JSON.stringify({ app_instance: "0x1", jobs: ["7"] }))
    expect(r.status).toBe(503)
    expect(r.body.error).toContain("without the app API")
    const get = await ops.get("/v1/failed-jobs/restart")
    expect(get.status).toBe(404)
  })
})
