/**
 * The storage options shared by the postgresql and mysql destinations: where rows go and
 * how a payload maps onto columns. `json` stores the whole event in one row (idempotency_key,
 * event_id, webhook_id, payload, headers, created_at) and skips a row whose idempotency key
 * is already stored, so redelivery is harmless; `relational` maps payload fields to columns;
 * `hybrid` does both. With `upsert_key`, relational/hybrid rows are upserted on that column.
 */
import { Schema } from "effect"
import { intBetween, rule, text, withDefault } from "./Checks.ts"
import { connectionEntry } from "./ConnectionCommon.ts"
import { Duration } from "./Duration.ts"
import { JsonPointer, Port, SqlIdentifier, SqlTableName } from "./Identifiers.ts"
import { Secret, secretMatching } from "./Secret.ts"

export const SqlFieldType = Schema.Literals([
  "string",
  "text",
  "int",
  "integer",
  "float",
  "number",
  "bool",
  "boolean",
  "datetime",
  "timestamp",
  "date",
  "time",
  "json"
])

export const SqlField = Schema.Struct({
  type: SqlFieldType,
  /** defaults to the field's name */
  column: Schema.optionalKey(SqlIdentifier),
  /** where in the payload the value is; defaults to `/<field name>` */
  from: Schema.optionalKey(JsonPointer),
  required: withDefault(Schema.Boolean, false),
  default: Schema.optionalKey(Schema.Union([Schema.String, Schema.Finite, Schema.Boolean, Schema.Null]))
})

const fieldNames = rule<Readonly<Record<string, unknown>>>((fields) => {
  const names = Object.keys(fields)
  if (names.length === 0) return "schema.fields needs at least one field"
  const bad = names.find((name) => !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name))
  return bad === undefined ? undefined : `field name '${bad}' is not a valid SQL identifier`
})

export const SqlSchema = Schema.Struct({
  fields: Schema.Record(Schema.String, SqlField).check(fieldNames)
})

export const sqlStorageFields = {
  table: withDefault(SqlTableName.annotate({ description: "Table, or schema.table" }), "webhook_events"),
  storage_mode: withDefault(Schema.Literals(["json", "relational", "hybrid"]), "json"),
  /**
   * relational/hybrid: the column for ON CONFLICT / ON DUPLICATE KEY UPDATE; without it a
   * row whose idempotency key is already stored is skipped
   */
  upsert_key: Schema.optionalKey(SqlIdentifier),
  include_headers: withDefault(Schema.Boolean, true),
  schema: Schema.optionalKey(SqlSchema),
  /**
   * Create the table (CREATE TABLE IF NOT EXISTS) on first use. Turn off when the database
   * user may not create tables: the table must then exist with the columns this mode writes.
   */
  create_table: withDefault(Schema.Boolean, true)
}

/** Columns the destination writes itself; schema fields may not reuse them. */
export const MANAGED_COLUMNS: ReadonlyArray<string> = [
  "id",
  "idempotency_key",
  "event_id",
  "webhook_id",
  "payload",
  "headers",
  "created_at"
]

interface SqlStorage {
  readonly storage_mode: "json" | "relational" | "hybrid"
  readonly upsert_key?: string
  readonly schema?: { readonly fields: Readonly<Record<string, { readonly column?: string }>> }
}

/** Cross-field rules: relational/hybrid need fields; upsert_key must be one of their columns. */
export const sqlStorageRules = rule<SqlStorage>((config) => {
  if (config.storage_mode === "json") {
    if (config.schema !== undefined) return "schema applies to relational and hybrid modes, not json"
    if (config.upsert_key !== undefined)
      return "upsert_key applies to relational and hybrid modes (json mode dedupes on the idempotency key)"
    return undefined
  }
  if (config.schema === undefined) return `storage_mode ${config.storage_mode} needs schema.fields`
  const columns = Object.entries(config.schema.fields).map(([name, field]) => field.column ?? name)
  const managed = columns.find((column) => MANAGED_COLUMNS.includes(column.toLowerCase()))
  if (managed !== undefined) {
    return `column '${managed}' is written by the destination itself (${MANAGED_COLUMNS.join(", ")}); map the field to another column`
  }
  const twice = columns.find((column, i) => columns.findIndex((c) => c.toLowerCase() === column.toLowerCase()) !== i)
  if (twice !== undefined) return `two fields map to column '${twice}'`
  if (config.upsert_key !== undefined) {
    if (!columns.includes(config.upsert_key)) {
      return `upsert_key '${config.upsert_key}' is not one of the schema's columns (${columns.join(", ")})`
    }
  }
  return undefined
})

/** Connection fields shared by both SQL connection types. */
export const sqlConnectionRules = rule<{
  readonly connection_string?: unknown
  readonly host?: string
  readonly database?: string
  readonly user?: string
}>((entry) => {
  if (entry.connection_string !== undefined && entry.host !== undefined) {
    return "give either connection_string or host, not both"
  }
  if (entry.connection_string === undefined && entry.host === undefined) return "needs connection_string or host"
  if (entry.host !== undefined && (entry.database === undefined || entry.user === undefined)) {
    return "with host, database and user are required"
  }
  return undefined
})

/**
 * A SQL connection entry: the same fields and rules for both databases, which differ in the
 * URL schemes they take, their default port and their identifier length limits.
 */
export const sqlConnection = <T extends string>(
  type: T,
  options: {
    readonly url: RegExp
    readonly urlMessage: string
    readonly port: number
    readonly maxDatabase: number
    readonly maxUser: number
  }
) =>
  connectionEntry(type, {
    connection_string: Schema.optionalKey(secretMatching((value) => options.url.test(value), options.urlMessage)),
    host: Schema.optionalKey(text(253)),
    port: withDefault(Port, options.port),
    database: Schema.optionalKey(text(options.maxDatabase)),
    user: Schema.optionalKey(text(options.maxUser)),
    password: Schema.optionalKey(Secret),
    ssl: withDefault(Schema.Boolean, false),
    pool_size: withDefault(intBetween(1, 100), 10),
    connect_timeout: withDefault(Duration({ min: 100, max: 60_000 }), "10s")
  }).check(sqlConnectionRules)
