/**
 * The nats destination's config and connection schemas, apart from its runtime (nats.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { listOrCommaSeparated, rule, text, withDefault } from "../../schema/Checks.ts"
import { connectionEntry } from "../../schema/ConnectionCommon.ts"
import { HeaderName, HeaderValue, NatsStreamName, NatsSubject, natsServerProblem } from "../../schema/Identifiers.ts"
import { Secret } from "../../schema/Secret.ts"

export const NatsConfig = Schema.Struct({
  subject: NatsSubject,
  jetstream: withDefault(Schema.Boolean, true),
  /** JetStream: the stream expected to capture the subject (checked on publish) */
  stream: Schema.optionalKey(NatsStreamName),
  headers: withDefault(Schema.Record(HeaderName, HeaderValue), {})
}).check(
  rule<{ readonly jetstream: boolean; readonly stream?: string }>((config) =>
    config.stream !== undefined && !config.jetstream ? "stream applies only with jetstream: true" : undefined
  )
)
export type NatsConfig = typeof NatsConfig.Type

export const NatsConnection = connectionEntry("nats", {
  servers: listOrCommaSeparated(natsServerProblem, "NATS servers such as nats://127.0.0.1:4222"),
  token: Schema.optionalKey(Secret),
  user: Schema.optionalKey(text(255)),
  password: Schema.optionalKey(Secret),
  name: withDefault(text(255), "hookstream"),
  tls: withDefault(Schema.Boolean, false)
}).check(
  rule<{ readonly token?: unknown; readonly user?: string; readonly password?: unknown }>((entry) => {
    if (entry.token !== undefined && (entry.user !== undefined || entry.password !== undefined)) {
      return "give either token or user/password, not both"
    }
    if ((entry.user === undefined) !== (entry.password === undefined)) return "user and password go together"
    return undefined
  })
)
export type NatsConnection = typeof NatsConnection.Type
