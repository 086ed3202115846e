/**
 * What one Effect log call becomes as a log record: the message text, the fields (log
 * annotations, then objects passed to the call), the error of a cause, and the trace ids of
 * a line about an event. Everything is scrubbed on the way: keys that name a secret are
 * redacted (the engine's redactor, as for outcome records) and every string goes through the
 * engine's sanitizer (credentials in URLs, `password=…`, bearer tokens, JWTs, and the exact
 * secret values of the loaded connections).
 */
import { Cause } from "effect"
import { defaultRedactor, REDACTED } from "../domain/redact.ts"
import { makeSanitizer, type Sanitizer } from "../domain/sanitize.ts"
import { spanContextOf } from "../domain/TraceContext.ts"

/**
 * The process's secret values, registered once the connections are loaded. Process-wide on
 * purpose: the logger exists before any configuration does, and every line must be scrubbed.
 */
let sanitize: Sanitizer = makeSanitizer()
const registered = new Set<string>()

export const addLogSecrets = (values: ReadonlyArray<string>): void => {
  let added = false
  for (const v of values) {
    if (!registered.has(v)) {
      registered.add(v)
      added = true
    }
  }
  if (added) sanitize = makeSanitizer([...registered])
}

export const sanitizeLogText = (text: string): string => sanitize(text)

const MAX_DEPTH = 8

/** Redacts secret keys and sanitizes strings, copying only what it changes. */
export const scrubLogValue = (value: unknown, depth = 0): unknown => {
  if (typeof value === "string") return sanitize(value)
  if (value === null || typeof value !== "object") return value
  if (depth >= MAX_DEPTH) return "[Truncated]"
  if (value instanceof Error) return { type: value.name, message: sanitize(value.message) }
  if (Array.isArray(value)) return value.map((v) => scrubLogValue(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    out[key] = defaultRedactor.isSecretKey(key) ? REDACTED : scrubLogValue(v, depth + 1)
  }
  return out
}

export interface LogRecordParts {
  readonly msg: string
  readonly fields: Record<string, unknown>
}

/**
 * `Effect.logInfo("processor started", { group })`: the first string is the message, further
 * strings are appended to it, objects become fields, Errors become `err`.
 */
export const logRecordParts = (
  message: unknown,
  annotations: Readonly<Record<string, unknown>>,
  cause: Cause.Cause<unknown>,
  span: Parameters<typeof spanContextOf>[0]
): LogRecordParts => {
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(annotations)) {
    fields[key] = defaultRedactor.isSecretKey(key) ? REDACTED : scrubLogValue(annotations[key])
  }
  const texts: Array<string> = []
  const parts = Array.isArray(message) ? message : [message]
  for (const part of parts) {
    if (typeof part === "string") texts.push(part)
    else if (part instanceof Error) fields["err"] = scrubLogValue(part)
    else if (part !== null && typeof part === "object") Object.assign(fields, scrubLogValue(part))
    else if (part !== undefined) texts.push(String(part))
  }
  if (cause.reasons.length > 0) fields["error"] = sanitize(Cause.pretty(cause))
  // a line about an event names the span it was logged in (with tracing on)
  if (fields["event_id"] !== undefined) {
    const context = spanContextOf(span)
    if (context !== undefined) {
      fields["trace_id"] = context.traceId
      fields["span_id"] = context.spanId
    }
  }
  return { msg: sanitize(texts.join(": ")), fields }
}
