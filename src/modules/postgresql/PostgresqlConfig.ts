/**
 * The postgresql destination's config and connection schemas, apart from its runtime (postgresql.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { sqlConnection, sqlStorageFields, sqlStorageRules } from "../../schema/SqlStorage.ts"

export const PostgresqlConfig = Schema.Struct(sqlStorageFields).check(sqlStorageRules)
export type PostgresqlConfig = typeof PostgresqlConfig.Type

export const PostgresqlConnection = sqlConnection("postgresql", {
  url: /^postgres(ql)?:\/\//,
  urlMessage: "expected a postgres:// or postgresql:// connection string",
  port: 5432,
  maxDatabase: 63,
  maxUser: 63
})
export type PostgresqlConnection = typeof PostgresqlConnection.Type
