/**
 * AgentSlots — the `MAX_CONCURRENT_AGENTS` limit as a service: a slot is held for an agent's whole
 * life (waiting for its first jobs, running, stopping), so no more agents than slots ever run, all
 * triples together. Waiters are woken in the order they arrived (Effect's Semaphore keeps its
 * waiters in insertion order); what keeps one triple from taking every slot is the dispatcher's
 * planner (programs/dispatchPlan.ts), which queues a triple once and stops topping up running
 * agents while others wait.
 */
import { Context, Effect, Layer, Ref } from "effect"
import { Config } from "./Config.js"

export interface AgentSlotsService {
  /** Slots in all (`MAX_CONCURRENT_AGENTS`). */
  readonly capacity: number
  /** Runs `self` holding one slot from start to end; waits (interruptibly) for a free one first. */
  readonly withSlot: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Slots held now. */
  readonly inUse: Effect.Effect<number>
  /** Callers waiting for a slot now. */
  readonly waiting: Effect.Effect<number>
}

interface Counts {
  readonly inUse: number
  readonly waiting: number
}

/** A set of `capacity` agent slots. */
export const makeAgentSlots = (capacity: number) =>
  Effect.gen(function* () {
    const semaphore = yield* Effect.makeSemaphore(capacity)
    const counts = yield* Ref.make<Counts>({ inUse: 0, waiting: 0 })
    const withSlot = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          // Which count to give back depends on how far the caller got: waiting, or holding a slot.
          let holding = false
          const granted = Ref.update(counts, (c) => {
            holding = true
            return { inUse: c.inUse + 1, waiting: c.waiting - 1 }
          })
          const use = semaphore.withPermits(1)(Effect.zipRight(granted, self))
          return Effect.zipRight(
            Ref.update(counts, (c) => ({ ...c, waiting: c.waiting + 1 })),
            restore(use).pipe(
              Effect.ensuring(
                Effect.suspend(() =>
                  Ref.update(counts, (c) => (holding ? { ...c, inUse: c.inUse - 1 } : { ...c, waiting: c.waiting - 1 }))
                )
              )
            )
          )
        })
      )
    return {
      capacity,
      withSlot,
      inUse: Effect.map(Ref.get(counts), (c) => c.inUse),
      waiting: Effect.map(Ref.get(counts), (c) => c.waiting)
    } satisfies AgentSlotsService
  })

/** The agent slots of this coordinator. */
export class AgentSlots extends Context.Tag("silvana/AgentSlots")<AgentSlots, AgentSlotsService>() {
  /** `MAX_CONCURRENT_AGENTS` slots from Config. */
  static readonly layer = Layer.effect(
    AgentSlots,
    Effect.flatMap(Config, (config) => makeAgentSlots(config.maxConcurrentAgents))
  )
  static readonly layerWith = (capacity: number) => Layer.effect(AgentSlots, makeAgentSlots(capacity))
}
