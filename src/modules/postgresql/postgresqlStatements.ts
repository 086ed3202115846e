/**
 * The SQL the postgresql destination runs for one plan. Identifiers are always double-quoted
 * (config already restricts them to [A-Za-z_][A-Za-z0-9_]*; quoting also keeps their case
 * and lets reserved words through); values are always $n parameters.
 */
import type { SqlColumn, SqlColumnType, SqlPlan } from "../sql/SqlPlan.ts"

export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`

export const quoteTable = (parts: ReadonlyArray<string>): string => parts.map(quoteIdentifier).join(".")

const columnType: Readonly<Record<SqlColumnType, string>> = {
  identifier: "TEXT",
  string: "TEXT",
  text: "TEXT",
  int: "BIGINT",
  float: "DOUBLE PRECISION",
  bool: "BOOLEAN",
  timestamp: "TIMESTAMPTZ",
  date: "DATE",
  time: "TIME",
  json: "JSONB"
}

/** JSON values travel as text and are cast, so a JS string is never mistaken for a JSON string */
const placeholder = (column: SqlColumn, i: number): string =>
  column.type === "json" ? `$${i + 1}::jsonb` : `$${i + 1}`

export interface PostgresqlStatements {
  readonly createTable: string
  readonly insert: string
}

export const postgresqlStatements = (plan: SqlPlan): PostgresqlStatements => {
  const table = quoteTable(plan.table)
  const definitions = [
    "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    ...plan.columns.map((column) => {
      const unique =
        column.name === plan.upsertKey || (plan.upsertKey === undefined && column.name === "idempotency_key")
      return `${quoteIdentifier(column.name)} ${columnType[column.type]}${column.notNull ? " NOT NULL" : ""}${unique ? " UNIQUE" : ""}`
    }),
    "created_at TIMESTAMPTZ NOT NULL DEFAULT now()"
  ]
  const names = plan.columns.map((column) => quoteIdentifier(column.name))
  const conflict =
    plan.upsertKey === undefined
      ? "ON CONFLICT (idempotency_key) DO NOTHING"
      : `ON CONFLICT (${quoteIdentifier(plan.upsertKey)}) DO UPDATE SET ${plan.columns
          .filter((column) => column.name !== plan.upsertKey)
          .map((column) => `${quoteIdentifier(column.name)} = EXCLUDED.${quoteIdentifier(column.name)}`)
          .join(", ")}`
  return {
    createTable: `CREATE TABLE IF NOT EXISTS ${table} (${definitions.join(", ")})`,
    insert: `INSERT INTO ${table} (${names.join(", ")}) VALUES (${plan.columns.map(placeholder).join(", ")}) ${conflict}`
  }
}
