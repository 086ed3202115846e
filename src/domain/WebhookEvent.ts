/**
 * The webhook event: the value of a record on the input topic (default `webhooks`).
 * Wire contract: producers script against these field names; new fields may be added,
 * none renamed. Unknown fields are tolerated (ignored) so producers can run ahead of us.
 */
import { Schema } from "effect"
import { isRfc3339, Rfc3339 } from "./Timestamp.ts"

export const DEFAULT_INPUT_TOPIC = "webhooks"

/** How the schemas state the idempotency key (domain/IdempotencyKey.ts) */
export const KEY_TEXT =
  "each destination's idempotency key, `<webhook_id>:<event_id>:<module id>` (stable across retries, redeliveries and replays)"

export const PayloadEncoding = Schema.Literals(["json", "base64"]).annotate({
  description: "`json` (default): payload is the JSON value. `base64`: payload is a base64 string of raw bytes"
})
export type PayloadEncoding = typeof PayloadEncoding.Type

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const isBase64 = (value: string): boolean => BASE64.test(value)

/** Ids end up in idempotency keys, headers and file names: printable, no spaces, bounded. */
export const EventIdString = Schema.String.check(
  Schema.isPattern(/^[\x21-\x7e]{1,200}$/, {
    expected: "an id of 1 to 200 printable characters without spaces"
  })
)

export const WebhookEvent = Schema.Struct({
  webhook_id: Schema.String.annotate({ description: "Selects the stream (the stream file's `id`)" }).check(
    Schema.isNonEmpty({ expected: "a non-empty webhook id" })
  ),
  // Unknown rather than Schema.Json: JSON.parse output is JSON by construction, and walking
  // a 1 MiB payload per event just to re-prove it would be wasted work.
  payload: Schema.Unknown.annotate({ description: "Any JSON value; a base64 string when payload_encoding is base64" }),
  id: Schema.optionalKey(
    EventIdString.annotate({
      description: `Event id; when absent it is derived from topic/partition/offset, so redelivery keeps it. With webhook_id and the module id it makes ${KEY_TEXT}`
    })
  ),
  headers: Schema.optionalKey(
    Schema.Record(Schema.String, Schema.String).annotate({ description: "The original HTTP headers (lowercase names)" })
  ),
  received_at: Schema.optionalKey(Rfc3339.annotate({ description: "When the webhook was received" })),
  payload_encoding: Schema.optionalKey(PayloadEncoding)
})
  .annotate({ title: "hookstream webhook event", description: "The value of a record on the input topic" })
  .check(
    Schema.makeFilter((event) =>
      event.payload_encoding === "base64" && (typeof event.payload !== "string" || !isBase64(event.payload))
        ? { path: ["payload"], issue: "with payload_encoding base64 the payload must be a base64 string" }
        : undefined
    )
  )
export type WebhookEvent = typeof WebhookEvent.Type

const EVENT_ID = /^[\x21-\x7e]{1,200}$/

const isStringRecord = (value: unknown): boolean => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== "string") return false
  return true
}

/**
 * `Schema.is(WebhookEvent)` for the shapes producers send, without the schema machinery (which
 * allocated ~900 B per event just to say yes). True only for a valid event; false means "not
 * shown valid here": the caller then asks the schema, which has the final word and the message.
 * test/unit/domain/webhookEvent.test.ts checks that this never says yes where the schema says no.
 */
export const looksLikeWebhookEvent = (value: unknown): value is WebhookEvent => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const v = value as Record<string, unknown>
  if (typeof v["webhook_id"] !== "string" || v["webhook_id"].length === 0 || !("payload" in v)) return false
  // an optional key, when present, must hold a value of its type (undefined is not one)
  if ("id" in v && (typeof v["id"] !== "string" || !EVENT_ID.test(v["id"]))) return false
  if ("headers" in v && !isStringRecord(v["headers"])) return false
  const receivedAt = v["received_at"]
  if ("received_at" in v && (typeof receivedAt !== "string" || !isRfc3339(receivedAt))) return false
  const encoding = v["payload_encoding"]
  if (!("payload_encoding" in v) || encoding === "json") return true
  return encoding === "base64" && typeof v["payload"] === "string" && isBase64(v["payload"])
}
