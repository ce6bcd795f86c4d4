import { Option } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { hostCannotRun } from "../../src/programs/dispatch.js"

const method = (over: Partial<Parameters<typeof hostCannotRun>[0]> = {}) => ({
  dockerImage: "img",
  dockerSha256: Option.none<string>(),
  minMemoryGb: 1,
  minCpuCores: 1,
  requiresTee: false,
  ...over
})
const host = { memoryBytes: 8 * 1024 ** 3, cpus: 2, tee: false }

describe("dispatch: methods this host cannot run", () => {
  it("runs what fits", () => {
    expect(hostCannotRun(method(), host)).toBeUndefined()
    expect(hostCannotRun(method({ minMemoryGb: 8, minCpuCores: 2 }), host)).toBeUndefined()
    expect(hostCannotRun(method({ requiresTee: true }), { ...host, tee: true })).toBeUndefined()
  })
  it("names what is missing: TEE, memory, CPUs", () => {
    expect(hostCannotRun(method({ requiresTee: true }), host)).toMatch(/requires TEE/)
    expect(hostCannotRun(method({ minMemoryGb: 9 }), host)).toMatch(/needs 9 GiB of memory; this host has 8.0 GiB/)
    expect(hostCannotRun(method({ minCpuCores: 4 }), host)).toMatch(/needs 4 CPU cores; this host has 2/)
  })
})
