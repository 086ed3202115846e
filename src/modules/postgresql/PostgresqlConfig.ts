/**
 * The postgresql destination's config and connection schemas, apart from its runtime (postgresql.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { intBetween, text, withDefault } from "../../schema/Checks.ts"
import { connectionEntry } from "../../schema/ConnectionCommon.ts"
import { Duration } from "../../schema/Duration.ts"
import { Port } from "../../schema/Identifiers.ts"
import { Secret, secretMatching } from "../../schema/Secret.ts"
import { sqlConnectionRules, sqlStorageFields, sqlStorageRules } from "../../schema/SqlStorage.ts"

export const PostgresqlConfig = Schema.Struct(sqlStorageFields).check(sqlStorageRules)
export type PostgresqlConfig = typeof PostgresqlConfig.Type

export const PostgresqlConnection = connectionEntry("postgresql", {
  connection_string: Schema.optionalKey(
    secretMatching(
      (value) => /^postgres(ql)?:\/\//.test(value),
      "expected a postgres:// or postgresql:// connection string"
    )
  ),
  host: Schema.optionalKey(text(253)),
  port: withDefault(Port, 5432),
  database: Schema.optionalKey(text(63)),
  user: Schema.optionalKey(text(63)),
  password: Schema.optionalKey(Secret),
  ssl: withDefault(Schema.Boolean, false),
  pool_size: withDefault(intBetween(1, 100), 10),
  connect_timeout: withDefault(Duration({ min: 100, max: 60_000 }), "10s")
}).check(sqlConnectionRules)
export type PostgresqlConnection = typeof PostgresqlConnection.Type
