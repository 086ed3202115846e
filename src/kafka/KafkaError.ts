/** Failures talking to Kafka, mapped once at the port. */
import { Schema } from "effect"

export class KafkaError extends Schema.TaggedError<KafkaError>()("KafkaError", {
  operation: Schema.String,
  message: Schema.String,
  /** KafkaJS says a retry may succeed (broker restarting, leader moving, timeouts) */
  retriable: Schema.Boolean,
  /** a transactional producer was fenced by a newer instance: this one must stop */
  fenced: Schema.Boolean
}) {}

interface KafkaJsErrorLike {
  readonly name?: string
  readonly message?: string
  readonly retriable?: boolean
  readonly type?: string
}

export const toKafkaError = (operation: string, cause: unknown): KafkaError => {
  const e = (typeof cause === "object" && cause !== null ? cause : {}) as KafkaJsErrorLike
  const type = e.type ?? ""
  return new KafkaError({
    operation,
    message: `${e.name ?? "Error"}: ${e.message ?? String(cause)}`,
    retriable: e.retriable ?? true,
    fenced:
      type === "INVALID_PRODUCER_EPOCH" ||
      type === "PRODUCER_FENCED" ||
      type === "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
  })
}
