/**
 * log: writes one structured line per delivery to the process log. No connection.
 * The payload and headers are left out unless asked for, because logs travel further
 * than the systems they describe; when they are asked for, secrets in them are redacted with
 * the stream's own redaction (the built-in secret names plus its `redaction` fields and
 * patterns, bound per stream through `forStream`), and
 * they are written at debug only (a step at info writes its line at info and the content on
 * a debug line of its own), so an info-level log never carries a payload.
 * The line goes through Effect's logger, so the process's format, sink and minimum level apply
 * (a `debug` step is silent under the default minimum level `Info`).
 */
import { Effect, Schema } from "effect"
import { text, withDefault } from "../config/Checks.ts"
import type { DestinationError } from "../domain/DestinationError.ts"
import { defaultRedactor, type Redactor } from "../domain/redact.ts"
import type { Delivery, DestinationSpec, ModuleSchemas, Receipt } from "./Destination.ts"

export const LogConfig = Schema.Struct({
  level: withDefault(Schema.Literals(["debug", "info", "warn", "error"]), "info"),
  include_payload: withDefault(Schema.Boolean, false),
  include_headers: withDefault(Schema.Boolean, false),
  /** a fixed message for the line (default "webhook delivered") */
  message: Schema.optionalKey(text(200))
})
export type LogConfig = typeof LogConfig.Type

export const logSchemas: ModuleSchemas<LogConfig> = {
  name: "log",
  description: "Write one structured log line per event (payload only when include_payload is true)",
  config: LogConfig
}

const MESSAGE = "webhook delivered"

// Built once: the level is the step's choice, the logger (format, sink, minimum level) the process's.
const logAt = {
  debug: Effect.logDebug,
  info: Effect.logInfo,
  warn: Effect.logWarning,
  error: Effect.logError
} as const

const delivered: Receipt = {}

const sender =
  (redactor: Redactor) =>
  (delivery: Delivery<LogConfig>): Effect.Effect<Receipt, DestinationError> => {
    const { config } = delivery
    const annotations: Record<string, unknown> = {
      event_id: delivery.eventId,
      webhook_id: delivery.webhookId,
      module_id: delivery.moduleId,
      idempotency_key: delivery.idempotencyKey,
      attempt: delivery.attempt
    }
    if (delivery.traceparent !== undefined) annotations.traceparent = delivery.traceparent
    const line = logAt[config.level](config.message ?? MESSAGE).pipe(Effect.annotateLogs(annotations))
    if (!config.include_payload && !config.include_headers) return Effect.as(line, delivered)
    const detail: Record<string, unknown> = {}
    if (config.include_payload) {
      detail.payload_encoding = delivery.payloadEncoding
      // a base64 payload is opaque bytes: nothing in it has a key to redact
      detail.payload = delivery.payloadEncoding === "json" ? redactor.redact(delivery.payload) : delivery.payload
    }
    if (config.include_headers) detail.headers = redactor.redactHeaders(delivery.headers)
    // payloads are never logged above debug: a step at another level writes its line there
    // and the payload and headers on a debug line of their own
    const withDetail =
      config.level === "debug"
        ? line.pipe(Effect.annotateLogs(detail))
        : Effect.andThen(
            line,
            Effect.logDebug(`${config.message ?? MESSAGE} (content)`).pipe(
              Effect.annotateLogs({ ...annotations, ...detail })
            )
          )
    return Effect.as(withDetail, delivered)
  }

/** No client to build: the process's logger is the sink, so `make` cannot fail. */
export const logDestination: DestinationSpec<LogConfig> = {
  ...logSchemas,
  // writing a line to the process's logger neither waits nor fails
  make: () => Effect.succeed({ send: sender(defaultRedactor), immediate: true }),
  forStream: (_shared, stream) => ({ send: sender(stream.redactor), immediate: true })
}
