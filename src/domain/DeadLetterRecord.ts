/**
 * The dead-letter record, on the DLQ topic (default `webhooks.dlq`). It carries the
 * original event so `hookstream replay` can re-run it, and headers so tools can filter
 * without parsing the value. Wire contract: fields may be added, never renamed.
 */
import { Schema } from "effect"
import * as Headers from "./KafkaHeaders.ts"
import { KafkaSource } from "./KafkaSource.ts"
import { ErrorInfo } from "./Outcome.ts"
import { ResultRecord } from "./ResultRecord.ts"
import { Rfc3339 } from "./Timestamp.ts"
import { KEY_TEXT, WebhookEvent } from "./WebhookEvent.ts"

export const DEFAULT_DLQ_TOPIC = "webhooks.dlq"
export const DLQ_SCHEMA_ID = "hookstream.dlq/v1"

export const DlqReason = Schema.Literals([
  /** the chain ran and at least one module failed (status partial or failed) */
  "chain_failed",
  /** the chain hit its deadline */
  "timed_out",
  /** the record's value is not a valid webhook event */
  "invalid_event",
  /** no stream has this webhook_id */
  "unknown_webhook",
  /** the payload is larger than the stream's max_payload_size */
  "payload_too_large",
  /** the stream's `filter` could not be evaluated for this event (error says why) */
  "filter_failed",
  /**
   * the payload does not match the stream's payload_schema (error names the first few JSON
   * Pointer paths): an event written to the topic without passing the ingress, or replayed
   */
  "invalid_payload"
])
export type DlqReason = typeof DlqReason.Type

/** The record's bytes when they could not be decoded as an event. */
export const RawEvent = Schema.Struct({
  raw: Schema.String.annotate({ description: "The record value, base64", contentEncoding: "base64" })
})
export type RawEvent = typeof RawEvent.Type

export const DeadLetterRecord = Schema.Struct({
  schema: Schema.Literal(DLQ_SCHEMA_ID),
  reason: DlqReason,
  /** the original envelope, or `{ raw }` when it could not be decoded */
  event: Schema.Union([WebhookEvent, RawEvent]),
  /** ids of the modules that need to run again (failed, timed out, interrupted, circuit open) */
  failed_modules: Schema.Array(Schema.String),
  result: Schema.optionalKey(ResultRecord),
  error: Schema.optionalKey(ErrorInfo),
  source: KafkaSource,
  replay_count: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  failed_at: Rfc3339,
  /** known whenever the envelope decoded */
  event_id: Schema.optionalKey(
    Schema.String.annotate({
      description: `Known whenever the envelope decoded. A replay keeps it, and with webhook_id and each module's id it makes ${KEY_TEXT}`
    })
  ),
  webhook_id: Schema.optionalKey(Schema.String),
  /**
   * Set when the dead letter with its event would not fit the DLQ topic's record limit: `event`
   * is then `{ raw: "" }` and the original record is still at `source` (while the input
   * topic retains it). A replay skips such a dead letter.
   */
  event_omitted: Schema.optionalKey(
    Schema.Struct({
      /** bytes of the dead letter with its event */
      bytes: Schema.Int,
      /** the record limit it was over */
      limit: Schema.Int,
      reason: Schema.String
    })
  )
}).annotate({ title: "hookstream dead-letter record", description: "On the DLQ topic; replayable" })
export type DeadLetterRecord = typeof DeadLetterRecord.Type

/** The Kafka headers that go with a dead-letter record (values are strings, as Kafka tools expect). */
export const deadLetterHeaders = (record: DeadLetterRecord): Readonly<Record<string, string>> => {
  const webhookId = record.webhook_id ?? ("webhook_id" in record.event ? record.event.webhook_id : undefined)
  return {
    [Headers.DLQ_REASON]: record.reason,
    ...(webhookId === undefined ? {} : { [Headers.WEBHOOK_ID]: webhookId }),
    [Headers.SOURCE_TOPIC]: record.source.topic,
    [Headers.SOURCE_PARTITION]: String(record.source.partition),
    [Headers.SOURCE_OFFSET]: record.source.offset,
    [Headers.REPLAY_COUNT]: String(record.replay_count)
  }
}
