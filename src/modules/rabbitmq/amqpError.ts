/**
 * amqplib errors → DestinationError, once. Broker replies carry AMQP reply codes in their
 * text ("404 (NOT-FOUND) …", "403 (ACCESS-REFUSED) …"); channel-level ones also in `code`.
 *
 * A channel error is shared by every publish in flight on that channel, so a 404/403 counts
 * as this delivery's own misconfiguration only when it names this delivery's exchange or
 * queue; for the others it is a lost channel, which the next attempt rebuilds (retryable).
 */
import { DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { sanitizeMessage } from "../../domain/sanitize.ts"

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ECONNABORTED"
])

const codeOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "code" in error ? error.code : undefined

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** `names` are the exchange or queue this delivery addresses, as the broker quotes them. */
export const amqpError = (error: unknown, names: ReadonlyArray<string>): DestinationError => {
  if (error instanceof DestinationError) return error
  const code = codeOf(error)
  const raw = messageOf(error)
  const text = `rabbitmq: ${sanitizeMessage(raw)}`
  if (typeof code === "string" && NETWORK_CODES.has(code)) return destinationError("unreachable", text)
  if (code === "ETIMEDOUT" || /ETIMEDOUT|Heartbeat timeout/.test(raw)) return destinationError("timeout", text)
  if (error instanceof RangeError) return destinationError("invalid_payload", text)
  if (/^Handshake terminated by server: 403|ACCESS[-_]REFUSED - Login/.test(raw)) {
    return destinationError("unauthorized", "rabbitmq: the broker refused the login (check user and password)")
  }
  if (/^Expected ConnectionOpenOk/.test(raw)) {
    return destinationError("misconfigured", "rabbitmq: the broker refused to open the vhost (unknown, or no access)")
  }
  const own = names.some((name) => raw.includes(`'${name}'`))
  if (own && (code === 404 || /\b404 \(NOT-FOUND\)/.test(raw))) return destinationError("misconfigured", text)
  if (own && (code === 403 || /\b403 \(ACCESS-REFUSED\)/.test(raw))) return destinationError("unauthorized", text)
  // nacks, lost channels and connections, 320 CONNECTION_FORCED, 541 INTERNAL_ERROR,
  // resource-driven closes and another stream's channel error: the next attempt reopens
  return destinationError("unavailable", text)
}
