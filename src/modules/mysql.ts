/**
 * mysql (alias mariadb): the postgresql destination's storage modes on MySQL/MariaDB
 * (see sql/SqlPlan.ts for the columns of each mode). Connection required.
 *
 * - One `mysql2` pool (pure JS) per connection, `pool_size` connections, ended when the
 *   scope closes. Each session adds STRICT_ALL_TABLES to its sql_mode, so a value that does
 *   not fit fails instead of being truncated.
 * - Tables: created on first use with CREATE TABLE IF NOT EXISTS (once per table per pool)
 *   unless `create_table: false`, in which case the table must exist (a missing one is
 *   `misconfigured`). Identifiers backquoted; rows through prepared statements.
 * - Dedupe: json mode and relational/hybrid without `upsert_key` put a UNIQUE key on
 *   idempotency_key and skip duplicates with a no-op ON DUPLICATE KEY UPDATE (not INSERT
 *   IGNORE: see mysql/mysqlStatements.ts); with `upsert_key`, ON DUPLICATE KEY UPDATE.
 * - Interruption: KILL QUERY from a separate connection, then the pooled connection is
 *   destroyed, never returned mid-statement (mysql/runMysqlQuery.ts).
 * - Errors by number: mysql/mysqlError.ts.
 */

import { Effect, Redacted } from "effect"
import { type ConnectionOptions, createPool, type PoolOptions } from "mysql2"
import { destinationError } from "../domain/DestinationError.ts"
import type { DestinationRuntime } from "./Destination.ts"
import type { MysqlConfig, MysqlConnection } from "./mysql/MysqlConfig.ts"
import { mysqlErrno, mysqlError } from "./mysql/mysqlError.ts"
import { mysqlStatements } from "./mysql/mysqlStatements.ts"
import { runMysqlQuery } from "./mysql/runMysqlQuery.ts"
import { sqlDestination } from "./sql/sqlDestination.ts"

const connectionOptions = (connection: MysqlConnection): ConnectionOptions => ({
  ...(connection.connection_string === undefined
    ? {
        host: connection.host ?? "",
        port: connection.port,
        ...(connection.database === undefined ? {} : { database: connection.database }),
        ...(connection.user === undefined ? {} : { user: connection.user }),
        ...(connection.password === undefined ? {} : { password: Redacted.value(connection.password) })
      }
    : { uri: Redacted.value(connection.connection_string) }),
  ...(connection.ssl ? { ssl: {} } : {}),
  connectTimeout: connection.connect_timeout,
  // DATETIME columns hold UTC
  timezone: "Z",
  // affected rows as changed, not found: 0 tells a skipped duplicate from an insert
  flags: ["-FOUND_ROWS"]
})

const STRICT =
  "SET SESSION sql_mode = IF(@@SESSION.sql_mode = '', 'STRICT_ALL_TABLES', CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES'))"

const make = (connection: MysqlConnection | undefined) =>
  Effect.gen(function* () {
    if (connection === undefined) {
      return yield* Effect.fail(destinationError("misconfigured", "mysql: a connection is required"))
    }
    const options = connectionOptions(connection)
    const poolOptions: PoolOptions = {
      ...options,
      connectionLimit: connection.pool_size,
      maxIdle: connection.pool_size,
      idleTimeout: 30_000,
      waitForConnections: true,
      enableKeepAlive: true
    }
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const pool = createPool(poolOptions)
        // queued on the new session before it is handed out; a failure shows on the first statement
        pool.on("connection", (session) => {
          session.query(STRICT, () => undefined)
        })
        return pool
      }),
      (pool) => Effect.promise(() => new Promise<void>((resolve) => pool.end(() => resolve())))
    )
    return yield* sqlDestination<MysqlConfig>({
      name: "mysql",
      statements: mysqlStatements,
      run: (text, values, signal) => runMysqlQuery(pool, options, text, values, signal),
      error: mysqlError,
      missingTable: (cause) => mysqlErrno(cause) === 1146,
      alreadyExists: (cause) => mysqlErrno(cause) === 1050
    })
  })

export const mysqlDestination: DestinationRuntime<MysqlConfig, MysqlConnection> = {
  make
}
