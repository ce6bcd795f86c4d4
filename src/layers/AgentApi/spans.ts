/**
 * Spans of the agent API's hot RPCs, only when spans go somewhere. Without a tracer installed
 * (no `OTEL_EXPORTER_OTLP_ENDPOINT`), Effect's own tracer keeps every span in memory and drops it:
 * opening one per GetJob and filling in its attributes cost about as much as the GetJob itself.
 * So when Effect's default tracer is the one in use, the call runs without a span and its
 * attributes are never built; with OpenTelemetry installed every call gets its span as before.
 */
import { Effect } from "effect"

/** The tracer Effect runs with when none is installed. */
const defaultTracer = Effect.runSync(Effect.tracer)

const spanOptions = { captureStackTrace: false } as const

/** Whether spans go somewhere: a tracer other than Effect's default is installed. */
export const tracingInstalled: Effect.Effect<boolean> = Effect.map(Effect.tracer, (tracer) => tracer !== defaultTracer)

/** `Effect.withSpan(name)` when a tracer is installed; the effect itself otherwise. */
export const apiSpan =
  (name: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.tracerWith((tracer) => (tracer === defaultTracer ? self : Effect.withSpan(self, name, spanOptions)))

/** Annotates the current span with `attributes()`, built only when a tracer is installed. */
export const annotateSpan = (attributes: () => Record<string, unknown>): Effect.Effect<void> =>
  Effect.tracerWith((tracer) => (tracer === defaultTracer ? Effect.void : Effect.annotateCurrentSpan(attributes())))
