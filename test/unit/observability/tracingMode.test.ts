/** Tracing is on only when an exporter is configured; traceparent parsing follows W3C. */
import { describe, expect, it } from "vitest"
import { formatTraceparent, parseTraceparent } from "../../../src/domain/TraceContext.ts"
import { tracingMode } from "../../../src/observability/tracingMode.ts"

describe("tracingMode", () => {
  it("off without an exporter, on with OTEL_TRACES_EXPORTER or an OTLP endpoint, off when disabled", () => {
    expect(tracingMode({})).toEqual({ enabled: false })
    expect(tracingMode({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toEqual({
      enabled: false
    })
    expect(tracingMode({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toEqual({
      enabled: true,
      exporters: ["otlp"],
      protocol: "http/protobuf"
    })
    expect(
      tracingMode({ OTEL_TRACES_EXPORTER: "console,otlp", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" })
    ).toEqual({ enabled: true, exporters: ["console", "otlp"], protocol: "http/json" })
    expect(tracingMode({ OTEL_TRACES_EXPORTER: "otlp", OTEL_SDK_DISABLED: "true" })).toEqual({ enabled: false })
  })
})

describe("traceparent", () => {
  const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
  it("parses a valid header and formats it back", () => {
    const context = parseTraceparent(valid)
    expect(context).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true })
    expect(context && formatTraceparent(context)).toBe(valid)
    expect(parseTraceparent(valid.replace(/-01$/, "-00"))?.sampled).toBe(false)
  })
  it("refuses malformed, all-zero and version ff contexts", () => {
    for (const bad of [
      undefined,
      "00-abc-def-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      `ff${valid.slice(2)}`,
      `${valid}-extra`
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined()
    }
  })
})
