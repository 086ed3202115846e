/**
 * The redis destination's config and connection schemas, apart from its runtime (redis.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { intBetween, rule, text, withDefault } from "../../schema/Checks.ts"
import { connectionEntry, urlOrHost } from "../../schema/ConnectionCommon.ts"
import { Duration } from "../../schema/Duration.ts"
import { Port, RedisKey } from "../../schema/Identifiers.ts"
import { Secret, secretMatching } from "../../schema/Secret.ts"

/** the one target key each mode needs */
const targetOf = { publish: "channel", list: "key", stream: "stream" } as const

export const RedisConfig = Schema.Struct({
  mode: withDefault(Schema.Literals(["publish", "list", "stream"]), "publish"),
  channel: Schema.optionalKey(RedisKey),
  key: Schema.optionalKey(RedisKey),
  stream: Schema.optionalKey(RedisKey),
  /** stream mode: trim to about this many entries */
  maxlen: Schema.optionalKey(intBetween(1, 1_000_000_000)),
  include_headers: withDefault(Schema.Boolean, false),
  /**
   * list and stream modes: how long a delivered idempotency key is remembered, so a
   * redelivery within it adds nothing (publish cannot dedupe)
   */
  dedupe_ttl: withDefault(
    Duration({
      min: 1_000,
      max: 720 * 3_600_000,
      description: "How long a delivered event is remembered (list, stream)"
    }),
    "24h"
  )
}).check(
  rule<{
    readonly mode: keyof typeof targetOf
    readonly channel?: string
    readonly key?: string
    readonly stream?: string
    readonly maxlen?: number
  }>((config) => {
    const needed = targetOf[config.mode]
    if (config[needed] === undefined) return `mode ${config.mode} needs '${needed}'`
    const stray = Object.values(targetOf).find((field) => field !== needed && config[field] !== undefined)
    if (stray !== undefined) return `'${stray}' does not apply to mode ${config.mode} (it uses '${needed}')`
    if (config.maxlen !== undefined && config.mode !== "stream") return "maxlen applies only to mode stream"
    return undefined
  })
)
export type RedisConfig = typeof RedisConfig.Type

export const RedisConnection = connectionEntry("redis", {
  url: Schema.optionalKey(
    secretMatching((value) => /^rediss?:\/\//.test(value), "expected a redis:// or rediss:// URL")
  ),
  host: Schema.optionalKey(text(253)),
  port: withDefault(Port, 6379),
  db: withDefault(intBetween(0, 15), 0),
  username: Schema.optionalKey(text(255)),
  password: Schema.optionalKey(Secret),
  tls: withDefault(Schema.Boolean, false)
}).check(urlOrHost)
export type RedisConnection = typeof RedisConnection.Type
