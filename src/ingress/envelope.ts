/**
 * The record the ingress produces: a `WebhookEvent` envelope (domain/WebhookEvent.ts) as the
 * value, the ordering key, and the tracing headers. A JSON payload is spliced in as the text
 * received (already validated), so large numbers keep their digits and nothing is
 * re-serialised; raw bodies go in as base64.
 */
import * as H from "../domain/KafkaHeaders.ts"
import type { RequestHeaders } from "./headers.ts"

export interface IngressRecord {
  readonly key: string | null
  readonly value: string
  readonly headers: Readonly<Record<string, string>>
}

/** Request headers that carry credentials: never copied into the event. */
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"])

const NONE: ReadonlySet<string> = new Set()

/**
 * The request headers as the envelope keeps them: lower-case names, credentials removed
 * (the standard ones and the stream's own, such as its API key header).
 */
export const envelopeHeaders = (
  headers: RequestHeaders,
  streamSecrets: ReadonlySet<string> = NONE
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SECRET_HEADERS.has(name) || streamSecrets.has(name)) continue
    out[name] = typeof value === "string" ? value : value.join(", ")
  }
  return out
}

export interface EnvelopeInput {
  readonly webhookId: string
  readonly eventId: string
  readonly receivedAt: string
  readonly headers: Record<string, string>
  /** JSON text (validated) or a base64 string */
  readonly payload:
    | { readonly encoding: "json"; readonly text: string }
    | { readonly encoding: "base64"; readonly base64: string }
}

export const envelopeValue = (input: EnvelopeInput): string => {
  const head = `{"webhook_id":${JSON.stringify(input.webhookId)},"id":${JSON.stringify(input.eventId)},"received_at":${JSON.stringify(input.receivedAt)},"headers":${JSON.stringify(input.headers)}`
  return input.payload.encoding === "json"
    ? `${head},"payload":${input.payload.text}}`
    : `${head},"payload_encoding":"base64","payload":${JSON.stringify(input.payload.base64)}}`
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/
const TRACESTATE = /^[\x20-\x7e]{1,512}$/

/** W3C trace context, passed on only when well-formed (version ff and all-zero ids are invalid). */
export const traceHeaders = (
  traceparent: string | undefined,
  tracestate: string | undefined
): Record<string, string> => {
  const value = traceparent?.trim().toLowerCase()
  const match = value === undefined ? null : TRACEPARENT.exec(value)
  if (
    value === undefined ||
    match === null ||
    value.startsWith("ff") ||
    /^0+$/.test(match[1] ?? "") ||
    /^0+$/.test(match[2] ?? "")
  )
    return {}
  const state = tracestate?.trim()
  return state !== undefined && TRACESTATE.test(state)
    ? { [H.TRACEPARENT]: value, [H.TRACESTATE]: state }
    : { [H.TRACEPARENT]: value }
}
