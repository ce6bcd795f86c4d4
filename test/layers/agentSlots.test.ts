/**
 * AgentSlots: never more agents than slots, waiters served in arrival order, and the counts right
 * when a waiter or a holder is interrupted. Time is the TestClock: agents "run" by sleeping.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import { makeAgentSlots } from "../../src/layers/AgentSlots.js"

describe("AgentSlots", () => {
  it.effect("never lets more than `capacity` run at once, and runs everyone in the end", () =>
    Effect.gen(function* () {
      const slots = yield* makeAgentSlots(3)
      const running = yield* Ref.make(0)
      const most = yield* Ref.make(0)
      const done = yield* Ref.make(0)
      const agent = (i: number) =>
        slots.withSlot(
          Effect.gen(function* () {
            const now = yield* Ref.updateAndGet(running, (n) => n + 1)
            yield* Ref.update(most, (m) => Math.max(m, now))
            yield* Effect.sleep(`${1 + (i % 4)} seconds`)
            yield* Ref.update(running, (n) => n - 1)
            yield* Ref.update(done, (n) => n + 1)
          })
        )
      const fibers = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => Effect.fork(agent(i)))
      yield* TestClock.adjust("1 second")
      expect(yield* slots.inUse).toBe(3)
      expect(yield* slots.waiting).toBeGreaterThan(0)
      yield* TestClock.adjust("60 seconds")
      yield* Fiber.joinAll(fibers)
      expect(yield* Ref.get(done)).toBe(20)
      expect(yield* Ref.get(most)).toBe(3)
      expect(yield* slots.inUse).toBe(0)
      expect(yield* slots.waiting).toBe(0)
    }))

  it.effect("grants waiting callers in the order they came", () =>
    Effect.gen(function* () {
      const slots = yield* makeAgentSlots(1)
      const order = yield* Ref.make<ReadonlyArray<string>>([])
      const agent = (name: string) =>
        slots.withSlot(Effect.zipRight(Ref.update(order, (o) => [...o, name]), Effect.sleep("5 seconds")))
      const fibers: Array<Fiber.RuntimeFiber<void>> = []
      for (const name of ["a", "b", "c", "d", "e"]) {
        fibers.push(yield* Effect.fork(agent(name)))
        // each one is queued before the next arrives
        yield* TestClock.adjust("1 millis")
      }
      yield* TestClock.adjust("1 minute")
      yield* Fiber.joinAll(fibers)
      expect(yield* Ref.get(order)).toEqual(["a", "b", "c", "d", "e"])
    }))

  it.effect("an interrupted waiter leaves the queue; an interrupted holder frees its slot", () =>
    Effect.gen(function* () {
      const slots = yield* makeAgentSlots(1)
      const holder = yield* Effect.fork(slots.withSlot(Effect.never))
      const waiter = yield* Effect.fork(slots.withSlot(Effect.never))
      yield* TestClock.adjust("1 millis")
      expect([yield* slots.inUse, yield* slots.waiting]).toEqual([1, 1])
      yield* Fiber.interrupt(waiter)
      expect([yield* slots.inUse, yield* slots.waiting]).toEqual([1, 0])
      const next = yield* Effect.fork(slots.withSlot(Effect.succeed("ran")))
      yield* TestClock.adjust("1 millis")
      expect(yield* slots.waiting).toBe(1)
      yield* Fiber.interrupt(holder)
      expect(yield* Fiber.join(next)).toBe("ran")
      expect([yield* slots.inUse, yield* slots.waiting]).toEqual([0, 0])
    }))
})
