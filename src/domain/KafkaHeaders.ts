/**
 * Kafka header names hookstream reads and writes. Headers let tools route and filter
 * records (DLQ triage, replays) without parsing values, in the spirit of Kafka Connect's
 * `__connect.errors.*` headers.
 */

/** W3C trace context, read from input records and propagated to sinks. */
export const TRACEPARENT = "traceparent"
export const TRACESTATE = "tracestate"
/** Free-form correlation id a producer may set; copied into logs and result records. */
export const CORRELATION_ID = "x-correlation-id"
/** How many times this event has been replayed from the DLQ (0 or absent = first delivery). */
export const REPLAY_COUNT = "hookstream-replay-count"
/** Comma-separated module ids: a replay runs only these steps of the chain. */
export const ONLY_MODULES = "hookstream-only-modules"
/** On a replayed input record: the dead letter it came from, `<dlq topic>:<partition>:<offset>` (informational). */
export const REPLAY_OF = "hookstream-replay-of"

/** Written on every dead-letter record. */
export const DLQ_REASON = "hookstream-dlq-reason"
export const WEBHOOK_ID = "hookstream-webhook-id"
export const SOURCE_TOPIC = "hookstream-source-topic"
export const SOURCE_PARTITION = "hookstream-source-partition"
export const SOURCE_OFFSET = "hookstream-source-offset"

/** Written on every deferred record: why it was deferred, and the input record's key (base64). */
export const DEFERRAL_REASON = "hookstream-deferral-reason"
export const ORIGINAL_KEY = "hookstream-key"

/** Every header the processor reads from input records. */
export const inputHeaders = [TRACEPARENT, TRACESTATE, CORRELATION_ID, REPLAY_COUNT, ONLY_MODULES] as const

/** Every header written on dead-letter records. */
export const deadLetterHeaderNames = [
  DLQ_REASON,
  WEBHOOK_ID,
  SOURCE_TOPIC,
  SOURCE_PARTITION,
  SOURCE_OFFSET,
  REPLAY_COUNT
] as const

/**
 * `hookstream-replay-count` as a number: absent → 0. A malformed value also reads as 0,
 * because a bad header must not make an event unprocessable; the DLQ record keeps the truth.
 */
export const parseReplayCount = (value: string | undefined): number => {
  if (value === undefined || !/^\d{1,9}$/.test(value.trim())) return 0
  return Number(value.trim())
}

/**
 * `hookstream-only-modules` as a list of module ids (trimmed, empties dropped, order kept,
 * duplicates removed); `undefined` when absent or empty, meaning "run the whole chain".
 */
export const parseOnlyModules = (value: string | undefined): ReadonlyArray<string> | undefined => {
  if (value === undefined) return undefined
  const ids = [...new Set(value.split(",").map((id) => id.trim()))].filter((id) => id !== "")
  return ids.length === 0 ? undefined : ids
}
