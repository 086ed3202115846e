/**
 * The result record: one per processed event on the results topic (default
 * `webhooks.results`). Wire contract: consumers and operators script against these
 * names; fields may be added, never renamed. Module entries are the engine's
 * `ModuleOutcome`s as they are.
 */
import { Schema } from "effect"
import { KafkaSource } from "./KafkaSource.ts"
import { ChainStatus, ModuleOutcome } from "./Outcome.ts"
import { Rfc3339 } from "./Timestamp.ts"
import { KEY_TEXT } from "./WebhookEvent.ts"

export const DEFAULT_RESULTS_TOPIC = "webhooks.results"
export const RESULT_SCHEMA_ID = "hookstream.result/v1"

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const ResultRecord = Schema.Struct({
  schema: Schema.Literal(RESULT_SCHEMA_ID),
  event_id: Schema.String.annotate({
    description: `The event's id. With webhook_id and each module's id it makes ${KEY_TEXT}`
  }),
  webhook_id: Schema.String,
  status: ChainStatus,
  /** in chain order, one per step (skipped steps included) */
  modules: Schema.Array(ModuleOutcome),
  started_at: Rfc3339,
  finished_at: Rfc3339,
  duration_ms: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)),
  source: KafkaSource,
  replay_count: NonNegativeInt,
  /** the input record's `x-correlation-id` header, when it had one */
  correlation_id: Schema.optionalKey(Schema.String),
  /** the W3C trace id the chain ran under, when tracing is on */
  trace_id: Schema.optionalKey(Schema.String),
  config_version: Schema.optionalKey(
    Schema.String.annotate({
      description:
        "Content hash of the stream and connection files whose config ran the chain (hookstream_config_version on /metrics); changes with every applied reload"
    })
  )
}).annotate({ title: "hookstream result record", description: "One per processed event, on the results topic" })
export type ResultRecord = typeof ResultRecord.Type
