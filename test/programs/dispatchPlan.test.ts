/**
 * The dispatcher's planner (pure) and its fairness when run with AgentSlots: a triple queues one
 * session, running sessions are not topped up and no second agent starts while anyone waits, so
 * with every slot taken the slots go round the triples in turn. Time is the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import { makeAgentSlots } from "../../src/layers/AgentSlots.js"
import { type PendingView, planPending } from "../../src/programs/dispatchPlan.js"

const limits = { prefetchPerSession: 4, maxAgentsPerTriple: 2 }
const view = (over: Partial<PendingView> = {}): PendingView => ({ pending: 10, live: 1, waiting: 0, inReserve: 0, startFailures: 0, ...over })

describe("planPending", () => {
  it("launches one session for a triple that has none, whatever else waits", () => {
    expect(planPending(view({ live: 0 }), false, limits)).toEqual({ topUp: 0, launch: true })
    expect(planPending(view({ live: 0 }), true, limits)).toEqual({ topUp: 0, launch: true })
  })

  it("tops running sessions up to their prefetch, counting what is in reserve", () => {
    expect(planPending(view({ pending: 10, live: 1, inReserve: 1 }), false, limits).topUp).toBe(3)
    expect(planPending(view({ pending: 2, live: 1 }), false, limits).topUp).toBe(2)
    expect(planPending(view({ live: 1, inReserve: 6 }), false, limits).topUp).toBe(0)
    // a session still waiting for its slot is not running: nothing to top up
    expect(planPending(view({ live: 1, waiting: 1 }), false, limits).topUp).toBe(0)
  })

  it("while anyone waits for a slot: no top-up and no second agent", () => {
    expect(planPending(view({ pending: 100 }), true, limits)).toEqual({ topUp: 0, launch: false })
  })

  it("a second agent only with more work than the sessions prefetch, up to the per-triple limit", () => {
    expect(planPending(view({ pending: 5, live: 1 }), false, limits).launch).toBe(true)
    expect(planPending(view({ pending: 4, live: 1 }), false, limits).launch).toBe(false)
    expect(planPending(view({ pending: 100, live: 2 }), false, limits).launch).toBe(false)
  })

  it("a triple whose agent failed to start gets neither top-up nor second agent", () => {
    expect(planPending(view({ pending: 100, startFailures: 1 }), false, limits)).toEqual({ topUp: 0, launch: false })
  })
})

/** Three busy triples, `capacity` slots, sessions that each run 10 s: who gets a slot, in order. */
const simulate = (capacity: number, triples: ReadonlyArray<string>, seconds: number) =>
  Effect.gen(function* () {
    const slots = yield* makeAgentSlots(capacity)
    const grants = yield* Ref.make<ReadonlyArray<string>>([])
    const running = yield* Ref.make(0)
    const most = yield* Ref.make(0)
    const live = new Map(triples.map((t) => [t, { live: 0, waiting: 0 }]))
    const session = (t: string) => {
      const st = live.get(t)!
      st.live++
      st.waiting++
      const body = Effect.gen(function* () {
        st.waiting--
        yield* Ref.update(grants, (g) => [...g, t])
        const now = yield* Ref.updateAndGet(running, (n) => n + 1)
        yield* Ref.update(most, (m) => Math.max(m, now))
        yield* Effect.sleep("10 seconds")
        yield* Ref.update(running, (n) => n - 1)
      })
      return Effect.forkScoped(Effect.ensuring(slots.withSlot(body), Effect.sync(() => st.live--)))
    }
    const tick = Effect.gen(function* () {
      const someoneWaits = (yield* slots.waiting) > 0
      for (const t of triples) {
        const st = live.get(t)!
        const plan = planPending({ pending: 1_000, live: st.live, waiting: st.waiting, inReserve: 0, startFailures: 0 }, someoneWaits, {
          prefetchPerSession: 4,
          maxAgentsPerTriple: 3
        })
        if (plan.launch) yield* session(t)
      }
    })
    const loop = yield* Effect.fork(Effect.forever(Effect.zipRight(tick, Effect.sleep("1 second"))))
    yield* TestClock.adjust(`${seconds} seconds`)
    yield* Fiber.interrupt(loop)
    return { grants: yield* Ref.get(grants), most: yield* Ref.get(most) }
  })

describe("dispatch fairness with AgentSlots", () => {
  it.scoped("one slot goes round three busy triples in turn, never to one triple twice while another waits", () =>
    Effect.gen(function* () {
      const { grants, most } = yield* simulate(1, ["A", "B", "C"], 95)
      expect(most).toBe(1)
      expect(grants.length).toBeGreaterThanOrEqual(9)
      expect(grants.slice(0, 9)).toEqual(["A", "B", "C", "A", "B", "C", "A", "B", "C"])
    }))

  it.scoped("two slots over three triples: never more than two agents, and each triple served in every round", () =>
    Effect.gen(function* () {
      const { grants, most } = yield* simulate(2, ["A", "B", "C"], 125)
      expect(most).toBe(2)
      for (let i = 0; i + 3 <= grants.length; i += 3) {
        expect(new Set(grants.slice(i, i + 3)).size).toBe(3)
      }
      expect(grants.length).toBeGreaterThanOrEqual(12)
    }))
})
