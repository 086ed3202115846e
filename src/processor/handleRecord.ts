/**
 * One input record → its outcome records. Never fails: a record that cannot be decoded,
 * names no stream, or is too large becomes a dead letter with the reason; a chain that
 * does not fully succeed becomes a result plus a dead letter listing the modules to replay.
 * The record is parsed once; the payload is handed to the chain as parsed (never copied).
 */
import { Cause, Effect, LogLevel, References, Schema } from "effect"
import type { DlqReason } from "../domain/DeadLetterRecord.ts"
import { eventIdFor } from "../domain/EventId.ts"
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../domain/JsonDepth.ts"
import * as H from "../domain/KafkaHeaders.ts"
import type { ChainOutcome, ErrorInfo } from "../domain/Outcome.ts"
import { formatTraceparent, newTraceContext, parseTraceparent, type TraceContext } from "../domain/TraceContext.ts"
import { WebhookEvent } from "../domain/WebhookEvent.ts"
import type { BoundChain, ChainInput } from "../engine/BoundChain.ts"
import type { ChainEngine } from "../engine/ChainEngine.ts"
import {
  chainDlqReason,
  deadLetter,
  deadLetterOutput,
  type OutcomeTopics,
  type OutputRecord,
  type RecordMeta,
  resultOutput,
  resultRecord
} from "../outcomes/records.ts"
import type { Redactor } from "../outcomes/redact.ts"
import type { InputRecord } from "./InputRecord.ts"

/** A stream ready to run: its bound chain and the limits applied before it runs. */
export interface RunnableStream {
  readonly chain: BoundChain
  readonly maxPayloadBytes: number
  /** set when the stream asks for the payload to be redacted before modules see it */
  readonly payloadRedactor?: Redactor
}

/** What the handler reports as it decides an event's fate (the processor's metrics). */
export interface HandlerObserver {
  /** called synchronously on the event's fiber: an observer must never wait (the console's tap only counts) */
  readonly chainFinished: (webhookId: string, outcome: ChainOutcome, eventId: string) => void
  readonly deadLettered: (reason: DlqReason) => void
}

export interface HandlerContext {
  readonly streams: ReadonlyMap<string, RunnableStream>
  readonly engine: ChainEngine["Service"]
  readonly topics: OutcomeTopics
  readonly now: () => number
  readonly observer?: HandlerObserver
  /** the DLQ topic's record limit (default Kafka's 1 MB): a dead letter over it is kept without its event */
  readonly maxRecordBytes?: number
}

const decodeEvent = Schema.decodeUnknownExit(WebhookEvent)

const refusal = (reason: string, message: string): ErrorInfo => ({
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

const rawOf = (record: InputRecord) => ({ raw: record.value === null ? "" : record.value.toString("base64") })

const withTrace = (meta: RecordMeta, trace: TraceContext): RecordMeta => ({
  ...meta,
  traceparent: formatTraceparent(trace)
})

/** What the logs say about a chain that did not fully succeed: which modules, and why. */
const failedModules = (outcome: ChainOutcome) =>
  outcome.modules
    .filter((m) => m.status !== "succeeded")
    .map((m) => ({ id: m.id, module: m.module, status: m.status, attempts: m.attempts, error: m.error?.message }))

export const handleRecord = (ctx: HandlerContext, record: InputRecord): Effect.Effect<ReadonlyArray<OutputRecord>> =>
  Effect.withFiber((fiber) => {
    const meta = recordMeta(record)
    const inbound = parseTraceparent(meta.traceparent)
    // No usable inbound context and no tracer to start one: start one here, unsampled, so the
    // event's log lines, outcome records and downstream calls still share a trace id.
    const tracing = fiber.getRef(References.TracerEnabled)
    // decided once per event: the per-event debug line costs nothing when debug is off
    const debug = LogLevel.isLessThanOrEqualTo(fiber.getRef(References.MinimumLogLevel), "Debug")
    const own = inbound !== undefined || tracing ? undefined : newTraceContext()
    const fields: Record<string, unknown> = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset
    }
    if (meta.correlationId !== undefined) fields["correlation_id"] = meta.correlationId
    const eventTrace = inbound ?? own
    if (eventTrace !== undefined) fields["trace_id"] = eventTrace.traceId

    const reject = (
      reason: DlqReason,
      error: ErrorInfo,
      event: Parameters<typeof deadLetter>[0]["event"],
      ids?: { eventId: string; webhookId: string }
    ) => {
      // no chain, so no span: the dead letter carries the event's context, or a new one
      const trace = eventTrace ?? newTraceContext()
      const m = inbound === undefined ? withTrace(meta, trace) : meta
      ctx.observer?.deadLettered(reason)
      const annotations = {
        ...fields,
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

    if (record.value === null || record.value.length === 0) {
      return reject("invalid_event", refusal("empty", "the record has no value"), rawOf(record))
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(record.value.toString("utf8"))
    } catch {
      return reject("invalid_event", refusal("not_json", "the record value is not JSON"), rawOf(record))
    }
    if (exceedsJsonDepth(parsed)) {
      return reject(
        "invalid_event",
        refusal("too_deep", `JSON nests deeper than ${MAX_JSON_DEPTH} levels`),
        rawOf(record)
      )
    }
    const decoded = decodeEvent(parsed)
    if (decoded._tag === "Failure") {
      const error = Cause.findErrorOption(decoded.cause)
      const detail = error._tag === "Some" ? error.value.message : "undecodable"
      const message = detail.replace(/\s+/g, " ").slice(0, 300)
      return reject("invalid_event", refusal("schema", `not a webhook event: ${message}`), rawOf(record))
    }
    const event = decoded.value
    const eventId = eventIdFor(event.id, meta.source)
    const ids = { eventId, webhookId: event.webhook_id }
    const stream = ctx.streams.get(event.webhook_id)
    if (stream === undefined) {
      return reject(
        "unknown_webhook",
        refusal("unknown_webhook", `no stream has webhook_id '${event.webhook_id}'`),
        event,
        ids
      )
    }
    if (record.value.length > stream.maxPayloadBytes) {
      return reject(
        "payload_too_large",
        refusal(
          "payload_too_large",
          `event of ${record.value.length} bytes exceeds the stream limit of ${stream.maxPayloadBytes}`
        ),
        event,
        ids
      )
    }
    const only = H.parseOnlyModules(record.headers[H.ONLY_MODULES])
    let onlyModules: ReadonlySet<string> | undefined
    if (only !== undefined) {
      const known = new Set(stream.chain.plan.modules.map((m) => m.id))
      onlyModules = new Set(only.filter((id) => known.has(id)))
      if (onlyModules.size === 0) {
        return reject(
          "invalid_event",
          refusal(
            "unknown_modules",
            `${H.ONLY_MODULES} names no module of stream '${event.webhook_id}': ${only.join(",")}`
          ),
          event,
          ids
        )
      }
    }
    fields["event_id"] = eventId
    fields["webhook_id"] = event.webhook_id
    const input: ChainInput = {
      eventId,
      payload: stream.payloadRedactor === undefined ? event.payload : stream.payloadRedactor.redact(event.payload),
      payloadEncoding: event.payload_encoding ?? "json",
      headers: event.headers ?? {},
      ...(record.key === null ? {} : { key: record.key.toString("utf8") }),
      ...(inbound !== undefined
        ? { traceparent: meta.traceparent as string }
        : own === undefined
          ? {}
          : { traceparent: formatTraceparent(own) }),
      ...(onlyModules === undefined ? {} : { onlyModules }),
      ...(tracing
        ? {
            spanAttributes: {
              "messaging.system": "kafka",
              "messaging.destination.name": record.topic,
              "messaging.destination.partition.id": String(record.partition),
              "messaging.kafka.offset": Number(record.offset),
              ...(meta.correlationId === undefined ? {} : { "hookstream.correlation_id": meta.correlationId })
            }
          }
        : {})
    }
    return ctx.engine.run(stream.chain, input).pipe(
      Effect.flatMap((outcome) => {
        ctx.observer?.chainFinished(event.webhook_id, outcome, eventId)
        // the records continue the chain's span when one was recorded
        const trace = outcome.trace ?? eventTrace
        const m =
          trace === undefined || (outcome.trace === undefined && inbound !== undefined) ? meta : withTrace(meta, trace)
        const result = resultRecord(eventId, event.webhook_id, outcome, m, trace?.traceId)
        const out = resultOutput(ctx.topics, result, m)
        const reason = chainDlqReason(outcome)
        const traceField = trace === undefined ? {} : { trace_id: trace.traceId }
        const durationMs = outcome.finishedAt - outcome.startedAt
        if (reason === undefined) {
          if (!debug) return Effect.succeed([out])
          return Effect.logDebug("event processed", { status: outcome.status, duration_ms: durationMs }).pipe(
            Effect.annotateLogs(traceField),
            Effect.as([out])
          )
        }
        ctx.observer?.deadLettered(reason)
        const dlq = deadLetter({ reason, event, meta: m, failedAt: outcome.finishedAt, result, ...ids })
        return Effect.logWarning("event dead-lettered", {
          reason,
          status: outcome.status,
          duration_ms: durationMs,
          failed_modules: failedModules(outcome)
        }).pipe(
          Effect.annotateLogs(traceField),
          Effect.as([out, deadLetterOutput(ctx.topics, dlq, m, ctx.maxRecordBytes)])
        )
      }),
      // every line logged while the chain runs (the log module, retries) names the event
      Effect.annotateLogs(fields)
    )
  })
