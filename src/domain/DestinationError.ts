/**
 * The one error a destination may fail with. Foreign errors (driver exceptions, HTTP
 * statuses, socket codes) are mapped to it once, at the adapter boundary; the engine
 * decides retry / dead-letter purely from `reason` and `retryable`.
 */
import { Schema } from "effect"

export const DestinationErrorReason = Schema.Literals([
  /** connection refused / reset, DNS failure, host unreachable */
  "unreachable",
  /** the attempt ran past its timeout (engine-generated or reported by the sink) */
  "timeout",
  /** the sink asked us to slow down (HTTP 429, broker throttling) */
  "throttled",
  /** the sink is up but temporarily unable (HTTP 5xx/408/425, broker not available) */
  "unavailable",
  /** the sink refused this delivery for good (HTTP 4xx, constraint violation) */
  "rejected",
  /** bad credentials or missing permission */
  "unauthorized",
  /** the payload cannot be written in this sink's shape (serialization, schema mismatch) */
  "invalid_payload",
  /** refused by a local guard before any I/O (SSRF guard, path escape) */
  "blocked",
  /** the module or connection config cannot work (missing table, unknown topic) */
  "misconfigured",
  /** anything the adapter could not classify */
  "unknown"
])
export type DestinationErrorReason = typeof DestinationErrorReason.Type

/** The default verdict per reason; adapters may override it when they know better. */
export const retryableByDefault: Readonly<Record<DestinationErrorReason, boolean>> = {
  unreachable: true,
  timeout: true,
  throttled: true,
  unavailable: true,
  rejected: false,
  unauthorized: false,
  invalid_payload: false,
  blocked: false,
  misconfigured: false,
  unknown: false
}

export class DestinationError extends Schema.TaggedError<DestinationError>()("DestinationError", {
  reason: DestinationErrorReason,
  retryable: Schema.Boolean,
  /** Sanitized, human-readable: never credentials, connection strings or payload data. */
  message: Schema.String,
  /** Milliseconds the sink asked us to wait (Retry-After); the engine honours it within the deadline. */
  retryAfterMs: Schema.optionalKey(Schema.Number)
}) {}

/** Builds a DestinationError with the reason's default retry verdict unless one is given. */
export const destinationError = (
  reason: DestinationErrorReason,
  message: string,
  options?: { readonly retryable?: boolean; readonly retryAfterMs?: number }
): DestinationError =>
  new DestinationError({
    reason,
    retryable: options?.retryable ?? retryableByDefault[reason],
    message,
    ...(options?.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs })
  })
