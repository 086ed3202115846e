/**
 * What the postgresql and mysql destinations write, worked out once per step config: the
 * table, the columns in order, the conflict column, and how one delivery becomes the row's
 * values. Dialects only render SQL from a plan; they share this mapping so the two agree
 * on types, defaults and what counts as an invalid payload.
 *
 * Columns per mode (the destination writes the first three itself in every mode):
 * - json: idempotency_key, event_id, webhook_id, payload, headers (if include_headers)
 * - relational: idempotency_key, event_id, webhook_id, then one column per schema field
 * - hybrid: idempotency_key, event_id, webhook_id, payload, headers (if include_headers), fields
 * `created_at` and `id` are filled by the database. A base64 payload (raw bytes) is stored
 * as a JSON string and has no fields to map.
 */
import type { Delivery } from "../Destination.ts"

/**
 * The field types of the original, folded onto one name each, plus `identifier` for the
 * ids the destination writes itself (event ids run to 200 characters, with the stream and
 * module ids the idempotency key to 330).
 */
export type SqlColumnType =
  | "identifier"
  | "string"
  | "text"
  | "int"
  | "float"
  | "bool"
  | "timestamp"
  | "date"
  | "time"
  | "json"

const canonicalType: Readonly<Record<string, SqlColumnType>> = {
  string: "string",
  text: "text",
  int: "int",
  integer: "int",
  float: "float",
  number: "float",
  bool: "bool",
  boolean: "bool",
  datetime: "timestamp",
  timestamp: "timestamp",
  date: "date",
  time: "time",
  json: "json"
}

export interface SqlStorageConfig {
  readonly table: string
  readonly storage_mode: "json" | "relational" | "hybrid"
  readonly upsert_key?: string
  readonly include_headers: boolean
  readonly create_table: boolean
  readonly schema?: {
    readonly fields: Readonly<
      Record<
        string,
        {
          readonly type: string
          readonly column?: string
          readonly from?: string
          readonly required: boolean
          readonly default?: string | number | boolean | null
        }
      >
    >
  }
}

export interface SqlColumn {
  readonly name: string
  readonly type: SqlColumnType
  /** NOT NULL: a required field, the upsert key, or a column the destination always fills */
  readonly notNull: boolean
}

interface FieldSource {
  readonly field: string
  readonly column: SqlColumn
  readonly path: ReadonlyArray<string>
  readonly required: boolean
  readonly default?: string | number | boolean | null
}

export interface SqlPlan {
  /** `[schema, table]` or `[table]` */
  readonly table: ReadonlyArray<string>
  readonly tableLabel: string
  readonly mode: SqlStorageConfig["storage_mode"]
  readonly createTable: boolean
  /** every column written, in the order of `valuesFor` */
  readonly columns: ReadonlyArray<SqlColumn>
  /** the upsert column, or undefined: then rows are deduped on idempotency_key */
  readonly upsertKey: string | undefined
  readonly fields: ReadonlyArray<FieldSource>
  readonly payloadColumns: boolean
  readonly headersColumn: boolean
}

const decodePointer = (pointer: string): ReadonlyArray<string> =>
  pointer
    .split("/")
    .slice(1)
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"))

export const sqlPlanFor = (config: SqlStorageConfig): SqlPlan => {
  const payloadColumns = config.storage_mode !== "relational"
  const headersColumn = payloadColumns && config.include_headers
  const upsertKey = config.storage_mode === "json" ? undefined : config.upsert_key
  const fields: Array<FieldSource> = Object.entries(config.schema?.fields ?? {}).map(([field, spec]) => {
    const name = spec.column ?? field
    return {
      field,
      column: { name, type: canonicalType[spec.type] ?? "text", notNull: spec.required || name === upsertKey },
      path: decodePointer(spec.from ?? `/${field.replace(/~/g, "~0").replace(/\//g, "~1")}`),
      // the upsert key decides which row is written: without it every redelivery would add a row
      required: spec.required || name === upsertKey,
      ...(spec.default === undefined ? {} : { default: spec.default })
    }
  })
  const columns: Array<SqlColumn> = [
    { name: "idempotency_key", type: "identifier", notNull: true },
    { name: "event_id", type: "identifier", notNull: true },
    { name: "webhook_id", type: "identifier", notNull: true },
    ...(payloadColumns ? [{ name: "payload", type: "json" as const, notNull: true }] : []),
    ...(headersColumn ? [{ name: "headers", type: "json" as const, notNull: false }] : []),
    ...fields.map((f) => f.column)
  ]
  return {
    table: config.table.split("."),
    tableLabel: config.table,
    mode: config.storage_mode,
    createTable: config.create_table,
    columns,
    upsertKey,
    fields,
    payloadColumns,
    headersColumn
  }
}

/** A value the row cannot take; `message` names the field, never its value. */
export class InvalidRow {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

const lookup = (payload: unknown, path: ReadonlyArray<string>): unknown => {
  let current = payload
  for (const token of path) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined
      current = current[Number(token)]
    } else if (typeof current === "object" && current !== null && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token]
    } else {
      return undefined
    }
  }
  return current
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/
const INTEGER = /^-?\d{1,19}$/
const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/

/** The driver value for one field, or a problem naming what was expected. */
const convert = (type: SqlColumnType, value: unknown): unknown | InvalidRow => {
  switch (type) {
    case "identifier":
    case "string":
    case "text":
      if (typeof value === "string") return value
      if (typeof value === "number" || typeof value === "boolean") return String(value)
      return new InvalidRow("expected a string, number or boolean")
    case "int":
      if (typeof value === "number" && Number.isSafeInteger(value)) return value
      if (typeof value === "string" && INTEGER.test(value)) return value
      return new InvalidRow("expected an integer")
    case "float":
      if (typeof value === "number" && Number.isFinite(value)) return value
      if (typeof value === "string" && NUMBER.test(value)) return Number(value)
      return new InvalidRow("expected a number")
    case "bool":
      if (typeof value === "boolean") return value
      if (value === "true" || value === 1) return true
      if (value === "false" || value === 0) return false
      return new InvalidRow("expected a boolean")
    case "timestamp": {
      if (value === "CURRENT_TIMESTAMP") return new Date()
      const date = typeof value === "string" || typeof value === "number" ? new Date(value) : undefined
      return date !== undefined && !Number.isNaN(date.getTime())
        ? date
        : new InvalidRow("expected an ISO 8601 date-time or epoch milliseconds")
    }
    case "date":
      return typeof value === "string" && DATE.test(value) ? value : new InvalidRow("expected a date (YYYY-MM-DD)")
    case "time":
      return typeof value === "string" && TIME.test(value) ? value : new InvalidRow("expected a time (HH:MM[:SS])")
    case "json":
      return JSON.stringify(value)
  }
}

/** The row's values in `plan.columns` order, or the first field that cannot be written. */
export const valuesFor = (plan: SqlPlan, delivery: Delivery): ReadonlyArray<unknown> | InvalidRow => {
  const values: Array<unknown> = [delivery.idempotencyKey, delivery.eventId, delivery.webhookId]
  if (plan.payloadColumns) values.push(JSON.stringify(delivery.payload))
  if (plan.headersColumn) values.push(JSON.stringify(delivery.headers))
  for (const source of plan.fields) {
    let value = lookup(delivery.payload, source.path)
    if (value === undefined || value === null) value = source.default ?? null
    if (value === null) {
      if (source.required) return new InvalidRow(`field '${source.field}' is required and missing`)
      values.push(null)
      continue
    }
    const converted = convert(source.column.type, value)
    if (converted instanceof InvalidRow) return new InvalidRow(`field '${source.field}': ${converted.message}`)
    values.push(converted)
  }
  return values
}
