/**
 * One event's context while it is handled (its record's meta, trace context and log fields),
 * and the dead letter of an event that does not run.
 */
import { Cause, Effect, type Fiber, LogLevel, References } from "effect"
import type { DlqReason } from "../domain/DeadLetterRecord.ts"
import * as H from "../domain/KafkaHeaders.ts"
import type { ErrorInfo } from "../domain/Outcome.ts"
import { formatTraceparent, newTraceContext, parseTraceparent, type TraceContext } from "../domain/TraceContext.ts"
import type { InputRecord } from "../kafka/InputRecord.ts"
import { deadLetter, deadLetterOutput, type OutputRecord, type RecordMeta } from "../outcomes/records.ts"
import type { HandlerContext } from "./HandlerContext.ts"

export const withTrace = (meta: RecordMeta, trace: TraceContext): RecordMeta => ({
  ...meta,
  traceparent: formatTraceparent(trace)
})

/** What a failed decode says is wrong, on one line, at most 300 characters (for a dead letter's error). */
export const decodeProblem = (cause: Cause.Cause<{ readonly message: string }>): string => {
  const error = Cause.findErrorOption(cause)
  return (error._tag === "Some" ? error.value.message : "undecodable").replace(/\s+/g, " ").slice(0, 300)
}

export const refusal = (reason: string, message: string): ErrorInfo => ({
  tag: "InvalidEvent",
  reason,
  retryable: false,
  message
})

export const recordMeta = (record: InputRecord): RecordMeta => {
  const h = record.headers
  const meta: {
    -readonly [K in keyof RecordMeta]: RecordMeta[K]
  } = {
    source: { topic: record.topic, partition: record.partition, offset: record.offset },
    key: record.key,
    replayCount: H.parseReplayCount(h[H.REPLAY_COUNT])
  }
  if (h[H.TRACEPARENT] !== undefined) meta.traceparent = h[H.TRACEPARENT]
  if (h[H.TRACESTATE] !== undefined) meta.tracestate = h[H.TRACESTATE]
  if (h[H.CORRELATION_ID] !== undefined) meta.correlationId = h[H.CORRELATION_ID]
  return meta
}

/** One event's context while it is handled: its record's meta, trace and log fields. */
export interface EventView {
  readonly meta: RecordMeta
  /** the inbound trace context, when the record carried a usable one */
  readonly inbound: TraceContext | undefined
  /** the event's trace context before the chain (inbound, or one started for it) */
  readonly eventTrace: TraceContext | undefined
  /**
   * `eventTrace` as a `traceparent` (the inbound header as it came): what the chain's sinks get
   * and what the outcome records carry when no span was recorded. Formatted once per event.
   */
  readonly traceparent: string | undefined
  /** a tracer records spans */
  readonly tracing: boolean
  /** decided once per event: the per-event debug line costs nothing when debug is off */
  readonly debug: boolean
  /** every line logged for the event carries these */
  readonly fields: Record<string, unknown>
}

export const eventView = (fiber: Fiber.Fiber<unknown, unknown>, meta: RecordMeta): EventView => {
  const inbound = parseTraceparent(meta.traceparent)
  // No usable inbound context and no tracer to start one: start one here, unsampled, so the
  // event's log lines, outcome records and downstream calls still share a trace id.
  const tracing = fiber.getRef(References.TracerEnabled)
  const debug = LogLevel.isLessThanOrEqualTo(fiber.getRef(References.MinimumLogLevel), "Debug")
  const eventTrace = inbound ?? (tracing ? undefined : newTraceContext())
  const fields: Record<string, unknown> = {
    topic: meta.source.topic,
    partition: meta.source.partition,
    offset: meta.source.offset
  }
  if (meta.correlationId !== undefined) fields["correlation_id"] = meta.correlationId
  if (eventTrace !== undefined) fields["trace_id"] = eventTrace.traceId
  const traceparent =
    inbound !== undefined ? meta.traceparent : eventTrace !== undefined ? formatTraceparent(eventTrace) : undefined
  return { meta, inbound, eventTrace, traceparent, tracing, debug, fields }
}

const hasNone = (record: Readonly<Record<string, unknown>>): boolean => {
  for (const _ in record) return false
  return true
}

/**
 * `effect` with the event's log fields on every line logged while it runs: what
 * `Effect.annotateLogs(fields)` does, as one `updateService`. annotateLogs' variadic form cost
 * an arguments object, a rest array and its iterator and a copy of the fields per event; here
 * the fields are used as they are when nothing above annotates (they are not changed once the
 * chain runs), and merged after those annotations, as annotateLogs does, when something does.
 */
export const withLogFields = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  fields: Record<string, unknown>
): Effect.Effect<A, E, R> =>
  Effect.updateService(effect, References.CurrentLogAnnotations, (annotations) =>
    hasNone(annotations) ? fields : { ...annotations, ...fields }
  )

/** A dead letter for an event that does not run (undecodable, unknown stream, too large…). */
export const rejectEvent = (
  ctx: HandlerContext,
  view: EventView,
  reason: DlqReason,
  error: ErrorInfo,
  event: Parameters<typeof deadLetter>[0]["event"],
  ids?: { eventId: string; webhookId: string }
): Effect.Effect<ReadonlyArray<OutputRecord>> => {
  // no chain, so no span: the dead letter carries the event's context, or a new one
  const trace = view.eventTrace ?? newTraceContext()
  const m = view.inbound === undefined ? withTrace(view.meta, trace) : view.meta
  ctx.observer?.deadLettered(reason)
  const annotations = {
    ...view.fields,
    ...(ids === undefined ? {} : { event_id: ids.eventId, webhook_id: ids.webhookId }),
    trace_id: trace.traceId
  }
  return Effect.logWarning("event dead-lettered", { reason, error: error.message }).pipe(
    Effect.annotateLogs(annotations),
    Effect.as([
      deadLetterOutput(
        ctx.topics,
        deadLetter({ reason, event, meta: m, failedAt: ctx.now(), error, ...ids }),
        m,
        ctx.maxRecordBytes
      )
    ])
  )
}
