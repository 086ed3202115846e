/**
 * The headers of one outgoing request, lowest precedence first: forwarded event headers (only
 * those `forward_headers` names; `*` = all), the connection's base headers, the step's
 * headers, then what hookstream itself vouches for (idempotency, trace context, signature),
 * which nothing configured or forwarded can override.
 */

/** Per-hop headers (RFC 9110 §7.6.1) and framing the client sets itself: never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  // the body is re-serialised, so the sender's encoding no longer describes it
  "content-encoding",
  "expect"
])

/** Set by hookstream per delivery; a forwarded copy would be a forgery. */
export const PROTOCOL_HEADERS = new Set([
  "idempotency-key",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "traceparent"
])

const SAFE_VALUE = (value: string): boolean => value.length <= 8192 && !/[\r\n\0]/.test(value)

/** The event headers `forward_headers` lets through, lower-cased. */
export const forwardedHeaders = (
  eventHeaders: Readonly<Record<string, string>>,
  forward: ReadonlyArray<string>
): Record<string, string> => {
  const out: Record<string, string> = {}
  if (forward.length === 0) return out
  const all = forward.includes("*")
  const wanted = new Set(forward.map((name) => name.toLowerCase()))
  // headers the sender declared per-hop in its own Connection header go too
  const connectionListed = new Set(
    (Object.entries(eventHeaders).find(([name]) => name.toLowerCase() === "connection")?.[1] ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
  )
  for (const [rawName, value] of Object.entries(eventHeaders)) {
    const name = rawName.toLowerCase()
    if (!all && !wanted.has(name)) continue
    if (HOP_BY_HOP.has(name) || PROTOCOL_HEADERS.has(name) || connectionListed.has(name)) continue
    if (SAFE_VALUE(value)) out[name] = value
  }
  return out
}

/** Overlays `headers` onto `target` with lower-cased names. */
export const overlay = (target: Record<string, string>, headers: Readonly<Record<string, string>>): void => {
  for (const [name, value] of Object.entries(headers)) target[name.toLowerCase()] = value
}
