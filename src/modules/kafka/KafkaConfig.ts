/**
 * The kafka destination's config and connection schemas, apart from its runtime (kafka.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { listOrCommaSeparated, rule, text, withDefault } from "../../schema/Checks.ts"
import { connectionEntry } from "../../schema/ConnectionCommon.ts"
import { HeaderName, HeaderValue, hostPortProblem, JsonPointer, KafkaTopic } from "../../schema/Identifiers.ts"
import { Secret } from "../../schema/Secret.ts"

export const keyTemplatePlaceholders = ["event_id", "webhook_id", "key"] as const

/** `{event_id}`, `{webhook_id}` and `{key}` (the input record's key) are substituted per event. */
export const KeyTemplate = text(256).check(
  rule<string>((template) => {
    for (const [, name] of template.matchAll(/\{([^}]*)\}/g)) {
      if (!(keyTemplatePlaceholders as ReadonlyArray<string>).includes(name ?? "")) {
        return `unknown placeholder {${name}} in key (allowed: ${keyTemplatePlaceholders.map((p) => `{${p}}`).join(", ")})`
      }
    }
    return undefined
  })
)

export const KafkaConfig = Schema.Struct({
  topic: KafkaTopic,
  key: Schema.optionalKey(KeyTemplate),
  key_from: Schema.optionalKey(JsonPointer),
  headers: withDefault(Schema.Record(HeaderName, HeaderValue), {}),
  forward_headers: withDefault(Schema.Array(HeaderName), [])
}).check(
  rule<{ readonly key?: string; readonly key_from?: string }>((config) =>
    config.key !== undefined && config.key_from !== undefined ? "give either key or key_from, not both" : undefined
  )
)
export type KafkaConfig = typeof KafkaConfig.Type

export const KafkaConnection = connectionEntry("kafka", {
  brokers: listOrCommaSeparated(hostPortProblem, "host:port brokers"),
  client_id: withDefault(text(255), "hookstream"),
  ssl: withDefault(Schema.Boolean, false),
  sasl: Schema.optionalKey(
    Schema.Struct({
      mechanism: Schema.Literals(["plain", "scram-sha-256", "scram-sha-512"]),
      username: text(255),
      password: Secret
    })
  )
})
export type KafkaConnection = typeof KafkaConnection.Type
