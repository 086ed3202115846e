/**
 * The SQL the mysql destination runs for one plan, for MySQL 8 and MariaDB 10.6+.
 * Identifiers are backquoted; values are `?` parameters of server-side prepared statements
 * (never interpolated, so a server's NO_BACKSLASH_ESCAPES mode cannot matter).
 *
 * The idempotency key and the upsert key compare byte for byte (utf8mb4_bin): `A-1` and
 * `a-1` are two orders, not one. Duplicates are skipped with a no-op ON DUPLICATE KEY
 * UPDATE rather than INSERT IGNORE, which would also turn data errors (a CHECK, a bad
 * JSON text, a value out of range) into warnings and silently drop or mangle the row.
 */
import type { SqlColumn, SqlColumnType, SqlPlan } from "../sql/SqlPlan.ts"

export const quoteIdentifier = (name: string): string => `\`${name.replace(/`/g, "``")}\``

const columnType: Readonly<Record<SqlColumnType, string>> = {
  // 512 utf8mb4 characters still fit InnoDB's 3072-byte index limit
  identifier: "VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
  string: "VARCHAR(255)",
  text: "MEDIUMTEXT",
  int: "BIGINT",
  float: "DOUBLE",
  bool: "BOOLEAN",
  // written as UTC (the pool's timezone is 'Z')
  timestamp: "DATETIME(6)",
  date: "DATE",
  time: "TIME(6)",
  json: "JSON"
}

const definition = (column: SqlColumn, key: boolean): string => {
  // a unique key needs a bounded column that compares exactly
  const textual = column.type === "string" || column.type === "text"
  const type = key && textual ? "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" : columnType[column.type]
  return `${quoteIdentifier(column.name)} ${type}${column.notNull ? " NOT NULL" : ""}`
}

export interface MysqlStatements {
  readonly createTable: string
  readonly insert: string
}

export const mysqlStatements = (plan: SqlPlan): MysqlStatements => {
  const table = plan.table.map(quoteIdentifier).join(".")
  const uniqueColumn = plan.upsertKey ?? "idempotency_key"
  const definitions = [
    "`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY",
    ...plan.columns.map((column) =>
      definition(column, column.name === uniqueColumn || column.name === "idempotency_key")
    ),
    "`created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
    `UNIQUE KEY ${quoteIdentifier(`uq_${uniqueColumn}`)} (${quoteIdentifier(uniqueColumn)})`
  ]
  const names = plan.columns.map((column) => quoteIdentifier(column.name))
  const onDuplicate =
    plan.upsertKey === undefined
      ? "`idempotency_key` = `idempotency_key`"
      : plan.columns
          .filter((column) => column.name !== plan.upsertKey)
          .map((column) => `${quoteIdentifier(column.name)} = VALUES(${quoteIdentifier(column.name)})`)
          .join(", ")
  return {
    createTable: `CREATE TABLE IF NOT EXISTS ${table} (${definitions.join(", ")}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    insert: `INSERT INTO ${table} (${names.join(", ")}) VALUES (${plan.columns.map(() => "?").join(", ")}) ON DUPLICATE KEY UPDATE ${onDuplicate}`
  }
}
