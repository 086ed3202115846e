/**
 * The deferred record, on the deferred topic (default `webhooks.deferred`): the part of an
 * event's chain that could not run when the event came in, because a destination was
 * congested (every slot taken and its wait full) or its circuit open, or because earlier work
 * of the same key and stream was already deferred. The processor's deferred path runs it at
 * the destinations' pace and publishes the event's one result record when the chain has
 * settled. Handing it off is the input event's durable outcome: its offset becomes
 * committable, like a dead letter's.
 *
 * Keyed by `webhook_id`, so one stream's deferred work shares a partition (and its order) and
 * a stream stuck on a dead destination holds back only the streams hashed to its partition.
 * The input record's own key travels in `key` and in the `hookstream-key` header.
 * Wire contract: fields may be added, never renamed.
 */
import { Schema } from "effect"
import * as Headers from "./KafkaHeaders.ts"
import { KafkaSource } from "./KafkaSource.ts"
import { ModuleOutcome } from "./Outcome.ts"
import { Rfc3339 } from "./Timestamp.ts"
import { WebhookEvent } from "./WebhookEvent.ts"

export const DEFAULT_DEFERRED_TOPIC = "webhooks.deferred"
/**
 * Partitions of the deferred topic when hookstream creates it. A stream's deferred work sits
 * in one partition (keyed by webhook id): streams sharing a partition share its pace on the
 * deferred path, so more partitions keep more stuck streams apart.
 */
export const DEFAULT_DEFERRED_PARTITIONS = 12
export const DEFERRED_SCHEMA_ID = "hookstream.deferred/v1"

export const DeferralReason = Schema.Literals([
  /** a destination had every slot taken and its wait full */
  "destination_congested",
  /** a destination's circuit was open */
  "circuit_open",
  /** earlier work of the same key and stream was deferred and has not finished: this follows it */
  "key_deferred",
  /** an earlier event of the same key had been running for long (a slow destination): this waits for it here, not in memory */
  "key_slow"
])
export type DeferralReason = typeof DeferralReason.Type

export const DeferredRecord = Schema.Struct({
  schema: Schema.Literal(DEFERRED_SCHEMA_ID),
  event_id: Schema.String,
  webhook_id: Schema.String,
  reason: DeferralReason,
  /** the guard keys (connections, or `<webhook_id>/<module id>`) the deferred modules wait for */
  destinations: Schema.Array(Schema.String),
  /** the event as it came in (not redacted: the deferred run applies the stream's redaction again) */
  event: WebhookEvent,
  /** the input record's key, base64; absent for a record without a key */
  key: Schema.optionalKey(Schema.String.annotate({ contentEncoding: "base64" })),
  /** where the event came in: its result record names this source */
  source: KafkaSource,
  replay_count: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** the module ids still to run, in chain order */
  remaining: Schema.Array(Schema.String),
  /** outcomes of the modules that already ran (merged into the final result) */
  prior: Schema.Array(ModuleOutcome),
  /** when the event's chain first started */
  started_at: Rfc3339,
  deferred_at: Rfc3339,
  /** the deferred run does not start before this (an open circuit's next probe) */
  not_before: Rfc3339
}).annotate({
  title: "hookstream deferred record",
  description: "On the deferred topic: the rest of a chain, run later at the destinations' pace"
})
export type DeferredRecord = typeof DeferredRecord.Type

/** The Kafka headers that go with a deferred record. */
export const deferredHeaders = (record: DeferredRecord): Readonly<Record<string, string>> => ({
  [Headers.DEFERRAL_REASON]: record.reason,
  [Headers.WEBHOOK_ID]: record.webhook_id,
  [Headers.SOURCE_TOPIC]: record.source.topic,
  [Headers.SOURCE_PARTITION]: String(record.source.partition),
  [Headers.SOURCE_OFFSET]: record.source.offset,
  [Headers.REPLAY_COUNT]: String(record.replay_count),
  ...(record.key === undefined ? {} : { [Headers.ORIGINAL_KEY]: record.key })
})
