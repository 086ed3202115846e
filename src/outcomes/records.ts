/**
 * Turns a chain outcome (or a refusal to run one) into the records that leave hookstream:
 * a result record on the results topic and, when something needs attention, a dead-letter
 * record on the DLQ topic. Values are serialized here, once. Records are keyed like the
 * input (so per-key order survives downstream) and carry the correlation headers.
 */
import { type DeadLetterRecord, DLQ_SCHEMA_ID, type DlqReason, deadLetterHeaders } from "../domain/DeadLetterRecord.ts"
import { type DeferredRecord, deferredHeaders } from "../domain/DeferredRecord.ts"
import * as H from "../domain/KafkaHeaders.ts"
import type { KafkaSource } from "../domain/KafkaSource.ts"
import { type ChainOutcome, type ErrorInfo, isDone } from "../domain/Outcome.ts"
import { RESULT_SCHEMA_ID, type ResultRecord } from "../domain/ResultRecord.ts"
import { toRfc3339 } from "../domain/Timestamp.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import { recordBytes } from "../kafka/producer/batching.ts"

/** A record ready for the producer. */
export interface OutputRecord {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: string
  readonly headers: Readonly<Record<string, string>>
  /** a deferred record: told when Kafka has it (ack, or the commit of its transaction) */
  readonly onDurable?: () => void
}

export interface OutcomeTopics {
  readonly results: string
  readonly dlq: string
}

/** What the processor knows about the input record, whatever became of it. */
export interface RecordMeta {
  readonly source: KafkaSource
  readonly key: Buffer | null
  readonly traceparent?: string
  readonly tracestate?: string
  readonly correlationId?: string
  readonly replayCount: number
}

const baseHeaders = (meta: RecordMeta, traceparent = meta.traceparent): Record<string, string> => {
  const headers: Record<string, string> = {
    [H.SOURCE_TOPIC]: meta.source.topic,
    [H.SOURCE_PARTITION]: String(meta.source.partition),
    [H.SOURCE_OFFSET]: meta.source.offset
  }
  if (traceparent !== undefined) headers[H.TRACEPARENT] = traceparent
  if (meta.tracestate !== undefined) headers[H.TRACESTATE] = meta.tracestate
  if (meta.correlationId !== undefined) headers[H.CORRELATION_ID] = meta.correlationId
  return headers
}

export const resultRecord = (
  eventId: string,
  webhookId: string,
  outcome: ChainOutcome,
  meta: RecordMeta,
  traceId?: string,
  configVersion?: string
): ResultRecord => {
  // built field by field: spreading optional fields in would copy the record per event
  const record: { -readonly [K in keyof ResultRecord]: ResultRecord[K] } = {
    schema: RESULT_SCHEMA_ID,
    event_id: eventId,
    webhook_id: webhookId,
    status: outcome.status,
    modules: outcome.modules,
    started_at: toRfc3339(outcome.startedAt),
    finished_at: toRfc3339(outcome.finishedAt),
    duration_ms: outcome.finishedAt - outcome.startedAt,
    source: meta.source,
    replay_count: meta.replayCount
  }
  if (meta.correlationId !== undefined) record.correlation_id = meta.correlationId
  if (traceId !== undefined) record.trace_id = traceId
  if (configVersion !== undefined) record.config_version = configVersion
  return record
}

/**
 * The module ids a replay must run again: everything that did not succeed, in chain order. A
 * step its `when` left out is not owed a run (a replay of the chain would evaluate it again).
 */
export const failedModules = (result: ResultRecord): ReadonlyArray<string> =>
  result.modules.filter((m) => !isDone(m)).map((m) => m.id)

export const deadLetter = (fields: {
  readonly reason: DlqReason
  readonly event: WebhookEvent | { readonly raw: string }
  readonly meta: RecordMeta
  readonly failedAt: number
  readonly result?: ResultRecord
  readonly error?: ErrorInfo
  readonly eventId?: string
  readonly webhookId?: string
}): DeadLetterRecord => ({
  schema: DLQ_SCHEMA_ID,
  reason: fields.reason,
  event: fields.event,
  failed_modules: fields.result === undefined ? [] : failedModules(fields.result),
  ...(fields.result === undefined ? {} : { result: fields.result }),
  ...(fields.error === undefined ? {} : { error: fields.error }),
  source: fields.meta.source,
  replay_count: fields.meta.replayCount,
  failed_at: toRfc3339(fields.failedAt),
  ...(fields.eventId === undefined ? {} : { event_id: fields.eventId }),
  ...(fields.webhookId === undefined ? {} : { webhook_id: fields.webhookId })
})

/**
 * `traceparent` is the one the record carries (default: the input record's): given apart from
 * `meta` so that a record carrying the chain span's, or the event's new one, needs no copy of the meta.
 */
export const resultOutput = (
  topics: OutcomeTopics,
  result: ResultRecord,
  meta: RecordMeta,
  traceparent = meta.traceparent
): OutputRecord => {
  const headers = baseHeaders(meta, traceparent)
  headers[H.WEBHOOK_ID] = result.webhook_id
  return { topic: topics.results, key: meta.key, value: JSON.stringify(result), headers }
}

/** Kafka's default limit on a record batch (broker `message.max.bytes`, topic `max.message.bytes`). */
export const DEFAULT_MAX_RECORD_BYTES = 1_048_588

/** An upper bound of the bytes a record takes in a record batch of its own (the producer kit's measure). */
export { recordBytes }

/**
 * The dead letter as a record. One that would be over `maxBytes` (the DLQ topic's record
 * limit; a large undecodable record grows by a third as base64) keeps everything but its
 * event, so that it can be published at all: a record the broker refuses would be retried
 * forever and hold up every outcome behind it.
 */
export const deadLetterOutput = (
  topics: OutcomeTopics,
  record: DeadLetterRecord,
  meta: RecordMeta,
  maxBytes: number = DEFAULT_MAX_RECORD_BYTES
): OutputRecord => {
  const out: OutputRecord = {
    topic: topics.dlq,
    key: meta.key,
    value: JSON.stringify(record),
    headers: { ...baseHeaders(meta), ...deadLetterHeaders(record) }
  }
  const bytes = recordBytes(out)
  if (bytes <= maxBytes) return out
  const { source } = record
  const slim: DeadLetterRecord = {
    ...record,
    event: { raw: "" },
    event_omitted: {
      bytes,
      limit: maxBytes,
      reason:
        `the dead letter with its event (${bytes} bytes) is over the DLQ topic's record limit (${maxBytes} bytes); ` +
        `the original record is at ${source.topic}:${source.partition}:${source.offset}`
    }
  }
  return { ...out, value: JSON.stringify(slim) }
}

/** The DLQ reason for a chain that did not fully succeed; none for one that succeeded or was filtered out. */
export const chainDlqReason = (outcome: ChainOutcome): DlqReason | undefined =>
  outcome.status === "succeeded" || outcome.status === "filtered"
    ? undefined
    : outcome.status === "timed_out"
      ? "timed_out"
      : "chain_failed"

/**
 * The deferred record as a record on `topic`, keyed by its webhook id (one stream's deferred
 * work shares a partition; see DeferredRecord). `onDurable` runs once Kafka has it.
 */
export const deferredOutput = (
  topic: string,
  record: DeferredRecord,
  meta: RecordMeta,
  onDurable: () => void
): OutputRecord => ({
  topic,
  key: Buffer.from(record.webhook_id, "utf8"),
  value: JSON.stringify(record),
  headers: { ...baseHeaders(meta), ...deferredHeaders(record) },
  onDurable
})
