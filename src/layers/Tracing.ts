/**
 * Tracing — OpenTelemetry export of the daemon's Effect spans, through `@effect/opentelemetry`'s
 * NodeSdk. Only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: then spans are batched and sent over
 * OTLP/HTTP to `<endpoint>/v1/traces`. Unset, the layer is empty: the OpenTelemetry modules are
 * not even loaded (they are imported dynamically), Effect's own tracer keeps its span bookkeeping
 * in memory and nothing leaves the process.
 */
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Option } from "effect"
import { Config } from "./Config.js"

export const SERVICE_NAME = "silvana-coordinator"
const SERVICE_VERSION = "0.1.0"

/** `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL; the traces signal lives under `/v1/traces`. */
export const tracesUrl = (endpoint: string): string =>
  /\/v1\/traces$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, "")}/v1/traces`

const sdkLayer = (makeProcessor: (base: typeof import("@opentelemetry/sdk-trace-base")) => Promise<import("@opentelemetry/sdk-trace-base").SpanProcessor>, attributes: Record<string, string>) =>
  Layer.unwrapEffect(
    Effect.promise(async () => {
      const [{ NodeSdk }, base] = await Promise.all([import("@effect/opentelemetry"), import("@opentelemetry/sdk-trace-base")])
      const spanProcessor = await makeProcessor(base)
      return Layer.discard(
        NodeSdk.layer(() => ({
          resource: { serviceName: SERVICE_NAME, serviceVersion: SERVICE_VERSION, attributes },
          spanProcessor
        }))
      )
    })
  )

export class Tracing {
  /** Exports every span to `exporter` as soon as it ends (tests: `InMemorySpanExporter`). */
  static readonly layerExporter = (exporter: SpanExporter, attributes: Record<string, string> = {}): Layer.Layer<never> =>
    sdkLayer(async (base) => new base.SimpleSpanProcessor(exporter), attributes)

  /** OTLP/HTTP export to `endpoint`, batched; flushed when the layer's scope closes. */
  static readonly layerOtlp = (endpoint: string): Layer.Layer<never> =>
    sdkLayer(async (base) => {
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http")
      return new base.BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(endpoint) }))
    }, {})

  /** From Config: OTLP export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, otherwise nothing. */
  static readonly layer: Layer.Layer<never, never, Config> = Layer.unwrapEffect(
    Effect.map(Config, (c) =>
      Option.match(c.otelEndpoint, {
        onNone: () => Layer.empty,
        onSome: (endpoint) => Tracing.layerOtlp(endpoint)
      })
    )
  )
}
