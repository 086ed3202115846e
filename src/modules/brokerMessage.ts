/**
 * What the message-broker destinations (rabbitmq, mqtt, nats) put on the wire: the body
 * bytes with their content type, and the headers that identify a delivery, so consumers can
 * dedupe by idempotency key and join the trace.
 */
import { TRACEPARENT, WEBHOOK_ID } from "../domain/KafkaHeaders.ts"
import type { Delivery } from "./Destination.ts"

export const EVENT_ID = "hookstream-event-id"
/** `<webhook_id>:<event_id>:<module id>`: what consumers of sinks without server-side dedupe dedupe by */
export const IDEMPOTENCY_KEY = "hookstream-idempotency-key"

export interface MessageBody {
  readonly bytes: Buffer
  readonly contentType: "application/json" | "application/octet-stream"
}

/** The payload as JSON, or the raw bytes of a base64 payload. */
export const messageBody = (delivery: Delivery): MessageBody =>
  delivery.payloadEncoding === "base64"
    ? { bytes: Buffer.from(String(delivery.payload), "base64"), contentType: "application/octet-stream" }
    : { bytes: Buffer.from(JSON.stringify(delivery.payload) ?? "null"), contentType: "application/json" }

/** The headers hookstream itself sets; nothing configured or forwarded may override them. */
export const identityHeaders = (delivery: Delivery): Record<string, string> => ({
  [EVENT_ID]: delivery.eventId,
  [WEBHOOK_ID]: delivery.webhookId,
  [IDEMPOTENCY_KEY]: delivery.idempotencyKey,
  ...(delivery.traceparent === undefined ? {} : { [TRACEPARENT]: delivery.traceparent })
})

/**
 * Forwarded event headers (names matched case-insensitively; `*` forwards all), then the
 * step's configured headers, then the identity headers: later ones win.
 */
export const messageHeaders = (
  delivery: Delivery,
  configured: Readonly<Record<string, string>>,
  forward: ReadonlyArray<string> = []
): Record<string, string> => {
  const forwarded: Record<string, string> = {}
  if (forward.length > 0) {
    const all = forward.includes("*")
    const wanted = new Set(forward.map((name) => name.toLowerCase()))
    for (const [name, value] of Object.entries(delivery.headers)) {
      if (all || wanted.has(name.toLowerCase())) forwarded[name] = value
    }
  }
  return { ...forwarded, ...configured, ...identityHeaders(delivery) }
}
