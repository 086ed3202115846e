/**
 * W3C Trace Context (`traceparent`) in and out of Effect's tracer, without any OpenTelemetry
 * import: the engine makes its spans through Effect's `Tracer` service, and whichever tracer
 * the process installed (the OpenTelemetry bridge, or none) turns them into real spans.
 *
 *   traceparent = "00-" trace-id(32 hex) "-" parent-id(16 hex) "-" flags(2 hex)
 */
import { randomFillSync } from "node:crypto"
import { Tracer } from "effect"

export interface TraceContext {
  readonly traceId: string
  readonly spanId: string
  readonly sampled: boolean
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/
const ZERO_TRACE = "00000000000000000000000000000000"
const ZERO_SPAN = "0000000000000000"

/** The context a `traceparent` header names, or `undefined` when it is absent or malformed. */
export const parseTraceparent = (header: string | undefined): TraceContext | undefined => {
  if (header === undefined) return undefined
  const m = TRACEPARENT.exec(header.trim().toLowerCase())
  if (m === null) return undefined
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string]
  // version ff is forbidden; version 00 has exactly four fields (later versions may add more)
  if (version === "ff" || (version === "00" && header.trim().length !== 55)) return undefined
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }
}

export const formatTraceparent = (context: TraceContext): string =>
  `00-${context.traceId}-${context.spanId}-${context.sampled ? "01" : "00"}`

/** trace id + span id */
const ID_BYTES = 24
// One CSPRNG call per 512 contexts: randomBytes(24) per event cost ~3 µs (about 8% of a no-op
// event in the processor bench); each context still gets its own never-reused random bytes.
const pool = Buffer.allocUnsafe(ID_BYTES * 512)
let poolAt = pool.length

/**
 * A fresh, unsampled context, for an event that arrived without one while no tracer records
 * spans: its logs, its outcome records and the calls it makes downstream still share one
 * trace id an operator can search for.
 */
export const newTraceContext = (): TraceContext => {
  if (poolAt + ID_BYTES > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const at = poolAt
  poolAt += ID_BYTES
  return {
    traceId: pool.toString("hex", at, at + 16),
    spanId: pool.toString("hex", at + 16, at + ID_BYTES),
    sampled: false
  }
}

/** A remote parent for Effect's tracer (the OpenTelemetry bridge continues its trace). */
export const externalParent = (context: TraceContext): Tracer.ExternalSpan =>
  Tracer.externalSpan({ traceId: context.traceId, spanId: context.spanId, sampled: context.sampled })

/** The context of a live span, or `undefined` for the no-op span of a disabled tracer. */
export const spanContextOf = (span: Tracer.AnySpan | undefined): TraceContext | undefined =>
  span === undefined || span.spanId === "noop" || span.traceId === "noop"
    ? undefined
    : { traceId: span.traceId, spanId: span.spanId, sampled: span.sampled }
