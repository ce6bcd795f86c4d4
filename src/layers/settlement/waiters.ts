/**
 * Callers waiting on Settlement: for an op's result (a start, an app call) and for the outbox to
 * be idle. Each wait is a Deferred made in an Effect and completed once, by whoever settles.
 */
import { Deferred, Effect } from "effect"

/** Waiters keyed by op id; each gets the value the op settles with. */
export class OpWaiters<A> {
  private readonly byOp = new Map<number, Array<Deferred.Deferred<A>>>()

  /** A new wait for op `id`; await the Deferred to get its outcome. */
  readonly add = (id: number): Effect.Effect<Deferred.Deferred<A>> =>
    Effect.tap(Deferred.make<A>(), (d) =>
      Effect.sync(() => {
        const ws = this.byOp.get(id)
        if (ws === undefined) this.byOp.set(id, [d])
        else ws.push(d)
      })
    )

  /** Completes every wait on op `id` with `value`. */
  readonly resolve = (id: number, value: A): Effect.Effect<void> =>
    Effect.suspend(() => {
      const ws = this.byOp.get(id)
      if (ws === undefined) return Effect.void
      this.byOp.delete(id)
      return Effect.forEach(ws, (w) => Deferred.succeed(w, value), { discard: true })
    })
}

/** Waits for "nothing queued, nothing in flight", as told by `isIdle`. */
export class IdleWaiters {
  private readonly waiting: Array<Deferred.Deferred<void>> = []

  constructor(private readonly isIdle: () => boolean) {}

  /** Succeeds at once when idle, else when `check` next finds it idle. */
  readonly await: Effect.Effect<void> = Effect.suspend(() =>
    this.isIdle()
      ? Effect.void
      : Effect.flatMap(
          Effect.tap(Deferred.make<void>(), (d) => Effect.sync(() => this.waiting.push(d))),
          Deferred.await
        )
  )

  /** Wakes every waiter if idle now. */
  readonly check: Effect.Effect<void> = Effect.suspend(() =>
    this.isIdle() ? Effect.forEach(this.waiting.splice(0), (w) => Deferred.succeed(w, undefined), { discard: true }) : Effect.void
  )
}
