/**
 * Keeps `process.nextTick` on V8's fast path for the life of the process.
 *
 * Each `nextTick` builds its tick object with an object literal whose keys are symbols. V8 caches
 * the object's hidden class (its map) at each of those keys, and it caches exactly one: once a
 * literal sees a second map, the site goes megamorphic for good and every later tick defines its
 * properties through the runtime, 3–5× slower. The map is held weakly by that cache, so it dies in
 * a full collection that finds no tick object alive — which is what an idle daemon's collections
 * find (the memory reducer runs them when allocation slows) — and the next tick makes a new map,
 * which is the second one. From then on every gRPC call pays for it: HTTP/2 and grpc-js go
 * through `nextTick` many times a call (measured in bench:api, 13 µs of a GetJob + CompleteJob pair).
 *
 * Holding one tick object keeps its map, and the chain of maps leading to it, alive. The only way
 * to reach a tick object is an async hook's `init`, which is given the tick itself: a hook is
 * enabled for the one `nextTick` made here and disabled at once, so no hook runs afterwards.
 */
import { createHook } from "node:async_hooks"

let kept: object | undefined

/** Holds one tick object for the life of the process; calling it again does nothing. */
export const keepTickShape = (): void => {
  if (kept !== undefined) return
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === "TickObject" && kept === undefined) kept = resource
    }
  })
  hook.enable()
  try {
    process.nextTick(() => {})
  } finally {
    hook.disable()
  }
}
