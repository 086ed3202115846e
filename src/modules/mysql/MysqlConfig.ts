/**
 * The mysql destination's config and connection schemas, apart from its runtime (mysql.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { sqlConnection, sqlStorageFields, sqlStorageRules } from "../../schema/SqlStorage.ts"

export const MysqlConfig = Schema.Struct(sqlStorageFields).check(sqlStorageRules)
export type MysqlConfig = typeof MysqlConfig.Type

export const MysqlConnection = sqlConnection("mysql", {
  url: /^(mysql|mariadb):\/\//,
  urlMessage: "expected a mysql:// or mariadb:// connection string",
  port: 3306,
  maxDatabase: 64,
  maxUser: 80
})
export type MysqlConnection = typeof MysqlConnection.Type
