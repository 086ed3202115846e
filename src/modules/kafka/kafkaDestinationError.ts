/**
 * KafkaJS errors mapped once to `DestinationError`. KafkaJS wraps the last failure of a retry
 * loop (`KafkaJSNumberOfRetriesExceeded`), so the chain of causes is searched for the broker's
 * error type or the client's error name. Messages carry the topic and that type or name,
 * never broker credentials or record contents.
 */
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"

interface KafkaJsErrorLike {
  readonly name?: unknown
  readonly type?: unknown
  readonly code?: unknown
  readonly retriable?: unknown
  readonly cause?: unknown
  readonly originalError?: unknown
}

const UNAUTHORIZED = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "SASL_AUTHENTICATION_FAILED",
  "KafkaJSSASLAuthenticationError"
])
const INVALID_PAYLOAD = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD", "CORRUPT_MESSAGE"])
const MISCONFIGURED = new Set([
  "INVALID_TOPIC_EXCEPTION",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "INVALID_REQUIRED_ACKS",
  "POLICY_VIOLATION",
  "UNSUPPORTED_VERSION",
  "KafkaJSServerDoesNotSupportApiKey"
])
const THROTTLED = new Set(["THROTTLING_QUOTA_EXCEEDED"])
const TIMEOUT = new Set(["REQUEST_TIMED_OUT", "KafkaJSRequestTimeoutError", "KafkaJSTimeout", "KafkaJSLockTimeout"])
const UNREACHABLE = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSBrokerNotFound",
  "KafkaJSNoBrokerAvailableError",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH"
])

/** Every error in the chain, outermost first. */
const chain = (error: unknown): Array<KafkaJsErrorLike> => {
  const out: Array<KafkaJsErrorLike> = []
  let current: unknown = error
  while (typeof current === "object" && current !== null && out.length < 8 && !out.includes(current)) {
    const e = current as KafkaJsErrorLike
    out.push(e)
    current = e.cause ?? e.originalError
  }
  return out
}

const labels = (e: KafkaJsErrorLike): Array<string> =>
  [e.type, e.name, e.code].filter((label): label is string => typeof label === "string")

export const kafkaDestinationError = (error: unknown, topic: string): DestinationError => {
  const errors = chain(error)
  const all = errors.flatMap(labels)
  const first = (set: ReadonlySet<string>) => all.find((label) => set.has(label))
  const where = `kafka topic '${topic}'`
  const found = (set: ReadonlySet<string>) => first(set)
  let label = found(UNAUTHORIZED)
  if (label !== undefined) return destinationError("unauthorized", `${where}: ${label}`)
  label = found(INVALID_PAYLOAD)
  if (label !== undefined) return destinationError("invalid_payload", `${where}: ${label}`)
  label = found(MISCONFIGURED)
  if (label !== undefined) return destinationError("misconfigured", `${where}: ${label}`)
  label = found(THROTTLED)
  if (label !== undefined) return destinationError("throttled", `${where}: ${label}`)
  label = found(TIMEOUT)
  if (label !== undefined) return destinationError("timeout", `${where}: ${label}`)
  label = found(UNREACHABLE)
  if (label !== undefined) return destinationError("unreachable", `${where}: broker unreachable (${label})`)
  // whatever KafkaJS itself would retry (leader moving, not enough replicas…) can pass later
  const innermost = errors[errors.length - 1]
  const name = all.find((l) => /^[A-Z_]+$/.test(l)) ?? all[0] ?? "error"
  return innermost?.retriable === true || errors.some((e) => e.retriable === true && e.name === "KafkaJSProtocolError")
    ? destinationError("unavailable", `${where}: ${name}`)
    : destinationError("unknown", `${where}: ${name}`)
}
