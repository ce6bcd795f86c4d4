/**
 * discover takes the jobs our own transactions create from those transactions' answers: with the
 * node's checkpoints paused (so the event stream cannot bring them), a job created through
 * Settlement is in the store at once; once the checkpoint comes, its JobCreatedEvent is not applied
 * a second time (a job gone from the store by then stays gone). Without the answers, the same job
 * waits for its checkpoint. A real localnet, the
 * real event stream, Settlement and the in-memory JobStore.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect, Fiber, Layer, Logger, LogLevel, ManagedRuntime, Option } from "effect"
import { arg } from "../../src/chain/appCalls.js"
import type { CoordinationEvent } from "../../src/chain/events.js"
import { ChainEvents } from "../../src/layers/ChainEvents.js"
import { type JobTransition, JobStore } from "../../src/layers/JobStore.js"
import { Journal } from "../../src/layers/Journal.js"
import { Settlement } from "../../src/layers/Settlement.js"
import { SuiClient } from "../../src/layers/SuiClient.js"
import { creationsOf, discover, SeenCreations } from "../../src/programs/discover.js"
import type { LocalnetHandle } from "../../src/localnet/index.js"
import { createJobs } from "../../src/localnet/client.js"
import { waitUntil } from "../support/wait.js"
import { appHex, METHOD, startNet, suiLayer } from "../chain/fixture.js"

const createCall = (description: string) => ({
  fn: "create_app_job",
  args: [
    arg.string(METHOD), arg.optString(description), arg.optU64(undefined), arg.optVecU64(undefined), arg.optVecU64(undefined),
    arg.optVecU64(undefined), arg.bytes(new Uint8Array()), arg.optU64(undefined), arg.optU64(undefined), arg.optString(undefined)
  ],
  clock: true
})

describe("discover: the jobs our own transactions create", () => {
  let net: LocalnetHandle

  beforeAll(async () => {
    net = await startNet()
  }, 60_000)
  afterAll(async () => {
    await net?.close()
  })

  /** discover over a fresh store and event stream, with or without the transactions' answers. */
  const run = async (withAnswers: boolean) => {
    const layer = Layer.mergeAll(ChainEvents.layer({}), Settlement.layer({ lingerMs: 2 }), JobStore.layerMemory()).pipe(
      Layer.provideMerge(Layer.merge(suiLayer(net), Journal.layerMemory)),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
    const runtime = ManagedRuntime.make(layer)
    const seen: Array<CoordinationEvent> = []
    const transitions: Array<JobTransition> = []
    const fiber = runtime.runFork(
      Effect.scoped(
        Effect.gen(function* () {
          const sui = yield* SuiClient
          const settlement = yield* Settlement
          yield* (yield* JobStore).observe((t) => transitions.push(t))
          const ownCreations = withAnswers ? creationsOf(settlement.executions, sui.packageId) : undefined
          return yield* discover({
            coordinatorId: sui.address,
            onReplayGap: () => Effect.void,
            onEvent: (e) => Effect.sync(() => seen.push(e)),
            ...(ownCreations === undefined ? {} : { ownCreations })
          })
        })
      )
    )
    const app = appHex(net.manifest.appInstanceId)
    const inStore = (seq: bigint) => runtime.runPromise(Effect.flatMap(JobStore, (s) => s.getBySequence(app, seq))).then(Option.isSome)
    // With no cursor stored the stream starts at the node's tip: create app jobs until one comes
    // through it (the follower is live from then on).
    await waitUntil("an app's job through the event stream", async () => {
      await createJobs(net.manifest, { count: 1, method: METHOD })
      await new Promise((r) => setTimeout(r, 200))
      return seen.some((e) => e._tag === "JobCreatedEvent")
    })
    return {
      runtime, seen, transitions, inStore, app,
      /** Creates a job through Settlement, as the merges and settlement programs do: its sequence. */
      create: async (description: string) => {
        const outcome = await runtime.runPromise(Effect.flatMap(Settlement, (s) => Effect.flatten(s.coordinatorCall(app, createCall(description)))))
        expect(outcome.result).toBe("done")
        return BigInt(/^job_sequence=(\d+)$/.exec(outcome.detail ?? "")![1]!)
      },
      close: async () => {
        await runtime.runPromise(Fiber.interrupt(fiber))
        await runtime.dispose()
      }
    }
  }

  it("a job we create is in the store before its checkpoint, and is applied once", async () => {
    const d = await run(true)
    try {
      // With the checkpoints running (the Settlement's gas is set up by then): applied once too,
      // whichever of the answer and the stream came first
      const seq2 = await d.create("created with the checkpoints running")
      await waitUntil("the first job in the store and its event seen", async () => (await d.inStore(seq2)) && d.seen.some((e) => e._tag === "JobCreatedEvent" && e.jobSequence === seq2))
      expect(d.transitions.filter((t) => t.data.jobSequence === seq2).map((t) => t.state)).toEqual(["pending"])

      net.faults.pauseCheckpoints()
      const seq = await d.create("created while the checkpoints are paused")
      try {
        // No checkpoint was sealed since: the event stream has not brought it, the answer did.
        await waitUntil("the created job in the store", () => d.inStore(seq))
        expect(d.seen.some((e) => e._tag === "JobCreatedEvent" && e.jobSequence === seq)).toBe(false)
        // The job runs its course before the stream catches up (started, completed, settled: out
        // of the store); its creation event arriving late must not bring it back.
        await d.runtime.runPromise(Effect.flatMap(JobStore, (s) => s.remove(d.app, seq)))
      } finally {
        net.faults.resumeCheckpoints()
      }
      await waitUntil("its JobCreatedEvent through the stream", async () => d.seen.some((e) => e._tag === "JobCreatedEvent" && e.jobSequence === seq))
      expect(d.transitions.filter((t) => t.data.jobSequence === seq).map((t) => t.state)).toEqual(["pending", "removed"])
      expect(await d.inStore(seq)).toBe(false)
    } finally {
      await d.close()
    }
  }, 60_000)

  it("without the answers, the job waits for its checkpoint", async () => {
    const d = await run(false)
    try {
      await d.create("created with the checkpoints running, nobody listening")
      net.faults.pauseCheckpoints()
      let seq: bigint
      try {
        seq = await d.create("created while the checkpoints are paused, nobody listening")
        // The answer is in (the call executed); the store learns of the job only from the stream.
        await d.runtime.runPromise(Effect.flatMap(Settlement, (s) => s.awaitIdle))
        expect(await d.inStore(seq)).toBe(false)
      } finally {
        net.faults.resumeCheckpoints()
      }
      await waitUntil("the job through the stream", () => d.inStore(seq))
    } finally {
      await d.close()
    }
  }, 60_000)

  it("the creations only the stream sees do not push ours out", () => {
    const seen = new SeenCreations(100)
    expect(seen.first("a", 1n, "own")).toBe(true)
    // an app's burst: many creations the stream alone brings, each seen once
    for (let i = 0; i < 1_000; i++) expect(seen.first("b", BigInt(i), "stream")).toBe(true)
    expect(seen.first("a", 1n, "stream")).toBe(false)
    // and the other way round, for the newest the stream brought
    expect(seen.first("b", 999n, "own")).toBe(false)
    // a second sighting is the last: a third is new again (a key is forgotten once matched)
    expect(seen.first("a", 1n, "stream")).toBe(true)
  })
})
