/**
 * The Kafka record for one delivery: key, value and headers.
 *
 * Key: the `key` template (`{event_id}`, `{webhook_id}`, `{key}`), or the payload value at the
 * `key_from` JSON Pointer (a string, number or boolean; anything else is `invalid_payload`,
 * as a silently null key would scatter one entity's events across partitions), or by default
 * the input record's key, so per-key ordering carries through.
 * Value: the payload as JSON, or the raw bytes of a base64 event.
 * Headers: forwarded event headers, the step's headers, then hookstream's own (idempotency
 * key, event id, webhook id, traceparent), which nothing configured can override.
 */
import { DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { TRACEPARENT, WEBHOOK_ID } from "../../domain/KafkaHeaders.ts"
import type { ProducerRecord } from "../../kafka/producer/ProducerDriver.ts"
import type { Delivery } from "../Destination.ts"

export const IDEMPOTENCY_KEY_HEADER = "hookstream-idempotency-key"
export const EVENT_ID_HEADER = "hookstream-event-id"

/** set from the delivery only: a forwarded or configured copy would misattribute the record */
const RESERVED = new Set([IDEMPOTENCY_KEY_HEADER, EVENT_ID_HEADER, WEBHOOK_ID, TRACEPARENT])

export interface KafkaRecordConfig {
  readonly topic: string
  readonly key?: string
  readonly key_from?: string
  readonly headers: Readonly<Record<string, string>>
  readonly forward_headers: ReadonlyArray<string>
}

/** RFC 6901: `/a/0/b~1c` → ["a", "0", "b/c"] */
const pointerTokens = (pointer: string): Array<string> =>
  pointer
    .split("/")
    .slice(1)
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"))

export const valueAt = (document: unknown, pointer: string): unknown => {
  let current = document
  for (const token of pointerTokens(pointer)) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined
      current = current[Number(token)]
    } else if (typeof current === "object" && current !== null && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token]
    } else return undefined
  }
  return current
}

const keyOf = (delivery: Delivery<KafkaRecordConfig>): string | null | DestinationError => {
  const { config } = delivery
  if (config.key !== undefined) {
    return config.key.replace(/\{(event_id|webhook_id|key)\}/g, (_, name: string) =>
      name === "event_id" ? delivery.eventId : name === "webhook_id" ? delivery.webhookId : (delivery.key ?? "")
    )
  }
  if (config.key_from !== undefined) {
    if (delivery.payloadEncoding !== "json")
      return destinationError("invalid_payload", `key_from '${config.key_from}' needs a JSON payload, got base64 bytes`)
    const value = valueAt(delivery.payload, config.key_from)
    if (typeof value === "string") return value
    if (typeof value === "number" || typeof value === "boolean") return String(value)
    return destinationError(
      "invalid_payload",
      `key_from '${config.key_from}' is ${value === undefined ? "missing" : "not a string, number or boolean"} in the payload`
    )
  }
  return delivery.key ?? null
}

export const recordFor = (delivery: Delivery<KafkaRecordConfig>): ProducerRecord | DestinationError => {
  const key = keyOf(delivery)
  if (key instanceof DestinationError) return key
  const { config } = delivery
  const headers: Record<string, string> = {}
  if (config.forward_headers.length > 0) {
    const all = config.forward_headers.includes("*")
    const wanted = new Set(config.forward_headers.map((name) => name.toLowerCase()))
    for (const [name, value] of Object.entries(delivery.headers)) {
      const lower = name.toLowerCase()
      if ((all || wanted.has(lower)) && !RESERVED.has(lower)) headers[lower] = value
    }
  }
  for (const [name, value] of Object.entries(config.headers)) {
    const lower = name.toLowerCase()
    if (!RESERVED.has(lower)) headers[lower] = value
  }
  headers[IDEMPOTENCY_KEY_HEADER] = delivery.idempotencyKey
  headers[EVENT_ID_HEADER] = delivery.eventId
  headers[WEBHOOK_ID] = delivery.webhookId
  if (delivery.traceparent !== undefined) headers[TRACEPARENT] = delivery.traceparent
  const value =
    delivery.payloadEncoding === "base64"
      ? Buffer.from(String(delivery.payload), "base64")
      : JSON.stringify(delivery.payload)
  return { topic: config.topic, key, value, headers }
}
