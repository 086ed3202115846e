/**
 * NATS and JetStream errors → DestinationError, once. JetStream API errors carry an
 * HTTP-like `code` and a precise `err_code`; client errors are classes of nats-core.
 */
import { errors } from "@nats-io/transport-node"
import { DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { sanitizeMessage } from "../../domain/sanitize.ts"

/** JetStream err_codes that are this step's configuration, whatever their HTTP-like code */
const STREAM_EXPECTATION_FAILED = 10060 // Nats-Expected-Stream names another stream
const MESSAGE_TOO_LARGE = 10054

export const jetStreamApiError = (
  error: { readonly code?: number; readonly err_code?: number; readonly description?: string },
  subject: string
): DestinationError => {
  const text = `nats: JetStream refused the message on '${subject}': ${sanitizeMessage(error.description ?? "no description")}`
  if (error.err_code === STREAM_EXPECTATION_FAILED) return destinationError("misconfigured", text)
  if (error.err_code === MESSAGE_TOO_LARGE) return destinationError("rejected", text)
  switch (error.code) {
    case 503: // e.g. maximum messages/bytes with discard new, no quorum
      return destinationError("unavailable", text)
    case 429:
      return destinationError("throttled", text)
    case 408:
      return destinationError("timeout", text)
    case 401:
    case 403:
      return destinationError("unauthorized", text)
    case 404:
      return destinationError("misconfigured", text)
    default:
      return destinationError("rejected", text)
  }
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"])

export const natsError = (error: unknown): DestinationError => {
  if (error instanceof DestinationError) return error
  const text = `nats: ${sanitizeMessage(error instanceof Error ? error.message : String(error))}`
  if (error instanceof errors.AuthorizationError || error instanceof errors.UserAuthenticationExpiredError) {
    return destinationError("unauthorized", text)
  }
  if (error instanceof errors.PermissionViolationError) return destinationError("unauthorized", text)
  if (error instanceof errors.TimeoutError) return destinationError("timeout", text)
  if (error instanceof errors.ConnectionError) return destinationError("unreachable", text)
  if (
    error instanceof errors.ClosedConnectionError ||
    error instanceof errors.DrainingConnectionError ||
    error instanceof errors.NoRespondersError ||
    error instanceof errors.RequestError
  ) {
    return destinationError("unavailable", text)
  }
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  if (typeof code === "string" && NETWORK_CODES.has(code)) return destinationError("unreachable", text)
  if (error instanceof Error && error.name === "JetStreamNotEnabled") return destinationError("unavailable", text)
  return destinationError("unknown", text)
}
