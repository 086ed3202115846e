/**
 * The rabbitmq destination's config and connection schemas, apart from its runtime (rabbitmq.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { rule, text, withDefault } from "../../schema/Checks.ts"
import { connectionEntry, urlOrHost } from "../../schema/ConnectionCommon.ts"
import { Duration } from "../../schema/Duration.ts"
import { AmqpName, HeaderName, HeaderValue, Port } from "../../schema/Identifiers.ts"
import { Secret, secretMatching } from "../../schema/Secret.ts"

export const RabbitmqConfig = Schema.Struct({
  exchange: Schema.optionalKey(AmqpName),
  routing_key: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(255))),
  queue: Schema.optionalKey(AmqpName),
  persistent: withDefault(Schema.Boolean, true),
  headers: withDefault(Schema.Record(HeaderName, HeaderValue), {}),
  forward_headers: withDefault(Schema.Array(HeaderName), [])
}).check(
  rule<{ readonly exchange?: string; readonly routing_key?: string; readonly queue?: string }>((config) => {
    if (config.exchange !== undefined && config.queue !== undefined) return "give either exchange or queue, not both"
    if (config.exchange === undefined && config.queue === undefined) return "needs exchange (with routing_key) or queue"
    if (config.queue !== undefined && config.routing_key !== undefined) {
      return "routing_key applies to exchange; a queue is addressed by its name"
    }
    return undefined
  })
)
export type RabbitmqConfig = typeof RabbitmqConfig.Type

export const RabbitmqConnection = connectionEntry("rabbitmq", {
  url: Schema.optionalKey(secretMatching((value) => /^amqps?:\/\//.test(value), "expected an amqp:// or amqps:// URL")),
  host: Schema.optionalKey(text(253)),
  port: withDefault(Port, 5672),
  user: Schema.optionalKey(text(255)),
  password: Schema.optionalKey(Secret),
  vhost: withDefault(text(255), "/"),
  heartbeat: withDefault(Duration({ min: 1000, max: 600_000 }), "60s"),
  tls: withDefault(Schema.Boolean, false)
}).check(urlOrHost)
export type RabbitmqConnection = typeof RabbitmqConnection.Type
