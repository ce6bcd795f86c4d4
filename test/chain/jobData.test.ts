/**
 * One job shape from two sources: a `Job` object's BCS bytes (ChainState) and a `JobCreatedEvent`
 * (discover) give the same `JobData` through `jobDataOf`; app instance ids normalise through one
 * Schema.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Option, Schema } from "effect"
import { ChainJob, ChainJobFromBcs, type JobCreatedEvent } from "../../src/chain/events.js"
import { jobDataOf } from "../../src/chain/jobData.js"
import { AppInstanceId, AppInstanceIdFromString } from "../../src/domain/ids.js"
import { decodeJob } from "../../src/layers/ChainState.js"

const app = "00000000000000000000000000000000000000000000000000000000000000ab"
const shared = {
  jobSequence: 7n,
  description: Option.some("add"),
  developer: "dev",
  agent: "agent",
  agentMethod: "prove",
  app: "app",
  appInstance: AppInstanceId.make(app),
  appInstanceMethod: "add",
  blockNumber: Option.none(),
  sequences: Option.some([1n, 2n]),
  sequences1: Option.none(),
  sequences2: Option.none(),
  data: new Uint8Array([1, 2, 3]),
  createdAt: 1_000n
}
const object = ChainJob.make({
  id: `0x${"cd".repeat(32)}`,
  ...shared,
  status: { _tag: "Pending" },
  attempts: 2,
  intervalMs: Option.none(),
  nextScheduledAt: Option.some(5_000n),
  updatedAt: 3_000n
})
const created: JobCreatedEvent = { _tag: "JobCreatedEvent", ...shared, status: { _tag: "Pending" } }

describe("JobData from an event or an object", () => {
  it.effect("a Job object round-trips through its BCS bytes", () =>
    Effect.gen(function* () {
      const bytes = yield* Schema.encode(ChainJobFromBcs)(object)
      expect(decodeJob(bytes)).toEqual(object)
    }))

  it("the object and the creation event give the same job, the object adding its progress", () => {
    const fromObject = jobDataOf(object)
    const fromEvent = jobDataOf(created)
    expect(fromEvent).toEqual({
      appInstance: app,
      jobSequence: 7n,
      developer: "dev",
      agent: "agent",
      agentMethod: "prove",
      app: "app",
      appInstanceMethod: "add",
      description: "add",
      sequences: [1n, 2n],
      sequences1: [],
      sequences2: [],
      data: new Uint8Array([1, 2, 3]),
      attempts: 0,
      createdAt: 1_000n,
      updatedAt: 1_000n
    })
    expect(fromObject).toEqual({ ...fromEvent, attempts: 2, updatedAt: 3_000n, dueAt: 5_000n })
  })
})

describe("AppInstanceIdFromString", () => {
  it.prop(
    "any 0x/bare, upper/lower, zero-trimmed spelling of an id gives its 64-hex form",
    [fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), fc.boolean()],
    ([bytes, prefixed, upper]) => {
      const hex = Buffer.from(bytes).toString("hex")
      const digits = hex.replace(/^0+/, "")
      const spelled = `${prefixed ? "0x" : ""}${upper ? digits.toUpperCase() : digits}`
      expect(Schema.decodeSync(AppInstanceIdFromString)(spelled)).toBe(hex)
    }
  )

  it("refuses what is not hex, empty, or too long", () => {
    expect(Either.isLeft(Schema.decodeEither(AppInstanceIdFromString)("0xzz"))).toBe(true)
    expect(Either.isLeft(Schema.decodeEither(AppInstanceIdFromString)("1".repeat(65)))).toBe(true)
    // no digit at all is no id (not the zero id)
    expect(Either.isLeft(Schema.decodeEither(AppInstanceIdFromString)(""))).toBe(true)
    expect(Either.isLeft(Schema.decodeEither(AppInstanceIdFromString)("0x"))).toBe(true)
  })
})
