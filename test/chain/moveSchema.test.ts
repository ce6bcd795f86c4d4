/** One layout per Move struct: BCS bytes ⇄ domain values through `moveSchema`, and malformed bytes refused. */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Option, Schema } from "effect"
import { coordinationEventFromBcs, decodeCoordinationEvent, JobCreatedEvent, JobFailedEvent } from "../../src/chain/events.js"
import { encodeMove } from "../../src/chain/moveLayout.js"
import { jobsEventLayouts } from "../../src/chain/moveTypes.js"
import { AppInstanceId } from "../../src/domain/ids.js"

const createdBcs = coordinationEventFromBcs("JobCreatedEvent")

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
const option = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined }).map(Option.fromNullable)
const status = fc.oneof(
  fc.constant({ _tag: "Pending" as const }),
  fc.constant({ _tag: "Running" as const }),
  fc.string().map((error) => ({ _tag: "Failed" as const, error }))
)
const createdEvents: fc.Arbitrary<JobCreatedEvent> = fc.record({
  _tag: fc.constant("JobCreatedEvent" as const),
  jobSequence: u64,
  description: option(fc.string()),
  developer: fc.string(),
  agent: fc.string(),
  agentMethod: fc.string(),
  app: fc.string(),
  appInstance: Arbitrary.make(AppInstanceId),
  appInstanceMethod: fc.string(),
  blockNumber: option(u64),
  sequences: option(fc.array(u64)),
  sequences1: option(fc.array(u64)),
  sequences2: option(fc.array(u64)),
  data: fc.uint8Array(),
  status,
  createdAt: u64
})

describe("moveSchema", () => {
  it("decodes what the localnet encodes from the same layout", () => {
    const bytes = encodeMove(jobsEventLayouts.JobCreatedEvent, {
      job_sequence: 7n,
      description: "merge",
      developer: "dev",
      agent: "agent",
      agent_method: "prove",
      app: "app",
      app_instance: "ab".repeat(32),
      app_instance_method: "prove",
      block_number: null,
      sequences: [1n, 2n],
      sequences1: null,
      sequences2: null,
      data: Uint8Array.of(9, 8),
      status: { $kind: "Failed", pos0: "boom" },
      created_at: 1_700_000_000_000n
    })
    const event = decodeCoordinationEvent("JobCreatedEvent", bytes)
    expect(event).toEqual({
      _tag: "JobCreatedEvent",
      jobSequence: 7n,
      description: Option.some("merge"),
      developer: "dev",
      agent: "agent",
      agentMethod: "prove",
      app: "app",
      appInstance: "ab".repeat(32),
      appInstanceMethod: "prove",
      blockNumber: Option.none(),
      sequences: Option.some([1n, 2n]),
      sequences1: Option.none(),
      sequences2: Option.none(),
      data: Uint8Array.of(9, 8),
      status: { _tag: "Failed", error: "boom" },
      createdAt: 1_700_000_000_000n
    })
    expect(Schema.encodeSync(createdBcs)(event as JobCreatedEvent)).toEqual(bytes)
  })

  it.prop(
    "JobCreatedEvent: decode ∘ encode is the identity",
    [createdEvents],
    ([event]) => {
      const bytes = Schema.encodeSync(createdBcs)(event)
      expect(Schema.decodeSync(createdBcs)(bytes)).toEqual(event)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("normalises the coordinator address and the app instance id, and refuses malformed bytes", () => {
    const failed = coordinationEventFromBcs("JobFailedEvent")
    const bytesWith = (appInstance: string) =>
      encodeMove(jobsEventLayouts.JobFailedEvent, {
        job_sequence: 1n,
        app_instance: appInstance,
        coordinator: "0x5",
        error: "e",
        attempts: 2,
        failed_at: 3n
      })
    const bytes = bytesWith("0xAB")
    const event = Schema.decodeSync(failed)(bytes) as JobFailedEvent
    expect(event.coordinator).toBe(`0x${"0".repeat(63)}5`)
    expect(event.appInstance).toBe(`${"0".repeat(62)}ab`)
    expect(Either.isLeft(Schema.decodeEither(failed)(bytes.slice(0, 5)))).toBe(true)
    // an app instance that is not an object id is refused where the event enters, not deep in a program
    expect(Either.isLeft(Schema.decodeEither(failed)(bytesWith("app")))).toBe(true)
  })
})
