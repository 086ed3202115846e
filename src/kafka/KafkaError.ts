/** Failures talking to Kafka, mapped once at the port, whichever client raised them. */
import { Schema } from "effect"

export class KafkaError extends Schema.TaggedError<KafkaError>()("KafkaError", {
  operation: Schema.String,
  message: Schema.String,
  /** the client says a retry may succeed (broker restarting, leader moving, timeouts) */
  retriable: Schema.Boolean,
  /** a transactional producer was fenced by a newer instance: this one must stop */
  fenced: Schema.Boolean,
  /** the broker's error name when there is one (MESSAGE_TOO_LARGE…), else "" */
  code: Schema.String
}) {}

interface ClientErrorLike {
  readonly name?: unknown
  readonly message?: unknown
  /** KafkaJS */
  readonly retriable?: unknown
  readonly type?: unknown
  readonly originalError?: unknown
  /** @platformatic/kafka */
  readonly canRetry?: unknown
  readonly apiId?: unknown
  readonly errors?: unknown
  readonly cause?: unknown
}

/** The error and those it wraps (KafkaJS: `originalError`; platformatic: `errors`, `cause`), outermost first. */
const chain = (cause: unknown): Array<ClientErrorLike> => {
  const out: Array<ClientErrorLike> = []
  const visit = (e: unknown) => {
    if (typeof e !== "object" || e === null || out.length >= 16 || out.includes(e)) return
    const error = e as ClientErrorLike
    out.push(error)
    visit(error.originalError)
    visit(error.cause)
    if (Array.isArray(error.errors)) for (const inner of error.errors) visit(inner)
  }
  visit(cause)
  return out
}

const FENCED = new Set(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"])

export const toKafkaError = (operation: string, cause: unknown): KafkaError => {
  const errors = chain(cause)
  const outer = errors[0] ?? {}
  const codes = errors.flatMap((e) => [e.type, e.apiId].filter((c): c is string => typeof c === "string" && c !== ""))
  const retriable = typeof outer.retriable === "boolean" ? outer.retriable : !errors.some((e) => e.canRetry === false)
  return new KafkaError({
    operation,
    message: `${typeof outer.name === "string" ? outer.name : "Error"}: ${typeof outer.message === "string" ? outer.message : String(cause)}`,
    retriable,
    fenced: codes.some((c) => FENCED.has(c)),
    code: codes[0] ?? ""
  })
}
