/**
 * Tracing for the process: OpenTelemetry, configured from the standard `OTEL_*` variables,
 * behind Effect's `Tracer` service (the `@effect/opentelemetry` bridge), so the engine makes
 * its spans with `Effect.useSpan` and never imports OpenTelemetry.
 *
 * On when an exporter is configured: `OTEL_TRACES_EXPORTER=otlp|console`, or an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) with the exporter not
 * `none`. Off otherwise, or with `OTEL_SDK_DISABLED=true`: then `References.TracerEnabled` is
 * false, every span is a no-op and the engine skips its span code entirely (zero cost).
 *
 * What the SDK itself reads: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG),
 * OTEL_BSP_*, OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS/TIMEOUT/COMPRESSION. The protocol
 * (`OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`) is http/protobuf (default) or http/json; grpc is
 * not bundled and falls back to http/protobuf with a warning.
 */
import { layerTracer, make as makeOtelTracer, OtelTracerProvider } from "@effect/opentelemetry/OtelTracer"
import { OTLPTraceExporter as OtlpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as OtlpProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources"
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Tracer } from "effect"
import { type Env, type TracingLayer, tracingDisabled, tracingMode } from "./tracingMode.ts"

export { type TracingLayer, tracingDisabled, tracingMode } from "./tracingMode.ts"

const serviceResource = () =>
  defaultResource()
    .merge(resourceFromAttributes({ "service.name": "hookstream" }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our defaults
    .merge(detectResources({ detectors: [envDetector] }))

/**
 * The bridge's tracer without its `context` hook. That hook makes the span OpenTelemetry's
 * active context around every single Effect operation inside a span (for auto-instrumented
 * libraries), which multiplied the cost of a traced chain several times over in
 * bench:engine. hookstream registers no auto-instrumentation and hands the context on
 * explicitly (the `traceparent` of each delivery and outcome record), so spans are all it needs.
 */
const spansOnly = Layer.effect(
  Tracer.Tracer,
  Effect.map(makeOtelTracer, (otel) => Tracer.make({ span: (options) => otel.span(options) }))
)

/**
 * Effect's tracer backed by an OpenTelemetry provider with these processors; the provider is
 * flushed and shut down when the layer is released (what was recorded is exported on exit).
 */
export const tracingWith = (processors: ReadonlyArray<SpanProcessor>): TracingLayer =>
  spansOnly.pipe(
    Layer.provide(layerTracer),
    Layer.provide(
      Layer.effect(
        OtelTracerProvider,
        Effect.acquireRelease(
          Effect.sync(() => new BasicTracerProvider({ resource: serviceResource(), spanProcessors: [...processors] })),
          (provider) =>
            Effect.promise(() => provider.forceFlush().finally(() => provider.shutdown())).pipe(
              Effect.timeoutOption("5 seconds"),
              Effect.ignore
            )
        )
      )
    )
  )

const exporterFor = (kind: "otlp" | "console", protocol: string): SpanExporter =>
  kind === "console"
    ? new ConsoleSpanExporter()
    : protocol === "http/json"
      ? new OtlpJsonExporter()
      : new OtlpProtoExporter()

/** The process's tracing, from its environment (see the file comment). */
export const tracingLayer = (env: Env = process.env): TracingLayer => {
  const mode = tracingMode(env)
  if (!mode.enabled) return tracingDisabled
  const warn =
    mode.protocol === "grpc"
      ? Layer.effectDiscard(
          Effect.logWarning("OTLP over grpc is not bundled; exporting traces over http/protobuf (port 4318)")
        )
      : Layer.empty
  const processors = mode.exporters.map((kind) => new BatchSpanProcessor(exporterFor(kind, mode.protocol)))
  return Layer.merge(tracingWith(processors), warn)
}
