/**
 * The mysql destination's config and connection schemas, apart from its runtime (mysql.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { intBetween, text, withDefault } from "../../schema/Checks.ts"
import { connectionEntry } from "../../schema/ConnectionCommon.ts"
import { Duration } from "../../schema/Duration.ts"
import { Port } from "../../schema/Identifiers.ts"
import { Secret, secretMatching } from "../../schema/Secret.ts"
import { sqlConnectionRules, sqlStorageFields, sqlStorageRules } from "../../schema/SqlStorage.ts"

export const MysqlConfig = Schema.Struct(sqlStorageFields).check(sqlStorageRules)
export type MysqlConfig = typeof MysqlConfig.Type

export const MysqlConnection = connectionEntry("mysql", {
  connection_string: Schema.optionalKey(
    secretMatching(
      (value) => /^(mysql|mariadb):\/\//.test(value),
      "expected a mysql:// or mariadb:// connection string"
    )
  ),
  host: Schema.optionalKey(text(253)),
  port: withDefault(Port, 3306),
  database: Schema.optionalKey(text(64)),
  user: Schema.optionalKey(text(80)),
  password: Schema.optionalKey(Secret),
  ssl: withDefault(Schema.Boolean, false),
  pool_size: withDefault(intBetween(1, 100), 10),
  connect_timeout: withDefault(Duration({ min: 100, max: 60_000 }), "10s")
}).check(sqlConnectionRules)
export type MysqlConnection = typeof MysqlConnection.Type
