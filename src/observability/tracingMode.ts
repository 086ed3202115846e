/**
 * Whether the environment configures a trace exporter (see tracing.ts), decided without
 * loading the OpenTelemetry SDK: commands and processes that trace nothing never import it.
 */
import { Layer, References } from "effect"

export type Env = Readonly<Record<string, string | undefined>>

export type TracingMode =
  | { readonly enabled: false }
  | { readonly enabled: true; readonly exporters: ReadonlyArray<"otlp" | "console">; readonly protocol: string }

const list = (value: string | undefined): ReadonlyArray<string> =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "")

/** What the environment asks for; pure, so it is tested without starting anything. */
export const tracingMode = (env: Env): TracingMode => {
  if (env["OTEL_SDK_DISABLED"]?.trim().toLowerCase() === "true") return { enabled: false }
  const named = list(env["OTEL_TRACES_EXPORTER"])
  const endpoint = (env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? env["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "") !== ""
  const exporters = (named.length === 0 ? (endpoint ? ["otlp"] : []) : named).filter(
    (e): e is "otlp" | "console" => e === "otlp" || e === "console"
  )
  if (exporters.length === 0) return { enabled: false }
  const protocol = (env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? env["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "http/protobuf")
    .trim()
    .toLowerCase()
  return { enabled: true, exporters, protocol }
}

/** Installs (or disables) Effect's tracer; provides nothing code asks for by name. */
export type TracingLayer = Layer.Layer<never>

/** Tracing off: spans are no-ops and the engine takes its span-free path. */
export const tracingDisabled: Layer.Layer<never> = Layer.succeed(References.TracerEnabled, false)
