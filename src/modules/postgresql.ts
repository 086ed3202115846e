/**
 * postgresql: stores each event as a row (json mode: the whole event) or maps payload fields
 * to columns (relational/hybrid); see sql/SqlPlan.ts for the columns of each mode. Connection
 * required: a connection string, or host/port/database/user/password.
 *
 * - One `pg` pool (pure JS) per connection, `pool_size` clients, ended when the scope closes.
 * - Tables: created on first use with CREATE TABLE IF NOT EXISTS (once per table per pool)
 *   unless `create_table: false`, in which case the table must exist (a missing one is
 *   `misconfigured`). Identifiers are quoted, values always bound as $n parameters.
 * - Dedupe: json mode and relational/hybrid without `upsert_key` insert with
 *   ON CONFLICT (idempotency_key) DO NOTHING, so a redelivery adds nothing; with
 *   `upsert_key`, ON CONFLICT (key) DO UPDATE, so a redelivery rewrites the same row.
 * - Interruption: the statement is cancelled on the server (CancelRequest) and its client
 *   destroyed, never returned to the pool mid-statement (postgresql/runPgQuery.ts).
 * - Errors: postgresql/postgresqlError.ts (connection failures, shutdown, too many
 *   connections, deadlocks: retryable; auth: unauthorized; 23xxx rejected; 22xxx invalid_payload).
 */

import { Effect, Redacted } from "effect"
import { Pool, type PoolConfig } from "pg"
import { destinationError } from "../domain/DestinationError.ts"
import type { DestinationRuntime } from "./Destination.ts"
import type { PostgresqlConfig, PostgresqlConnection } from "./postgresql/PostgresqlConfig.ts"
import { postgresqlError } from "./postgresql/postgresqlError.ts"
import { postgresqlStatements } from "./postgresql/postgresqlStatements.ts"
import { runPgQuery } from "./postgresql/runPgQuery.ts"
import { sqlDestination } from "./sql/sqlDestination.ts"

const poolConfig = (connection: PostgresqlConnection): PoolConfig => ({
  ...(connection.connection_string === undefined
    ? {
        host: connection.host ?? "",
        port: connection.port,
        ...(connection.database === undefined ? {} : { database: connection.database }),
        ...(connection.user === undefined ? {} : { user: connection.user }),
        ...(connection.password === undefined ? {} : { password: Redacted.value(connection.password) })
      }
    : { connectionString: Redacted.value(connection.connection_string) }),
  ...(connection.ssl ? { ssl: true } : {}),
  max: connection.pool_size,
  connectionTimeoutMillis: connection.connect_timeout,
  idleTimeoutMillis: 30_000,
  application_name: "hookstream"
})

const make = (connection: PostgresqlConnection | undefined) =>
  Effect.gen(function* () {
    if (connection === undefined) {
      return yield* Effect.fail(destinationError("misconfigured", "postgresql: a connection is required"))
    }
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const pool = new Pool(poolConfig(connection))
        // an idle client's socket failing (server restart) is reported here; pg-pool drops
        // that client itself, and without a listener the process would crash
        pool.on("error", () => undefined)
        // a checked-out client whose connection breaks emits "error" too (the statement gets
        // the error as well): the same crash without a listener
        pool.on("connect", (client) => client.on("error", () => undefined))
        return pool
      }),
      (pool) => Effect.promise(() => pool.end())
    )
    return yield* sqlDestination<PostgresqlConfig>({
      name: "postgresql",
      statements: postgresqlStatements,
      run: (text, values, signal) => runPgQuery(pool, text, values, signal).then((result) => result.rowCount ?? 0),
      error: postgresqlError,
      missingTable: (cause) => codeOf(cause) === "42P01",
      // two sessions racing CREATE TABLE IF NOT EXISTS: the loser trips over the type or relation
      alreadyExists: (cause) => codeOf(cause) === "42P07" || codeOf(cause) === "23505"
    })
  })

const codeOf = (cause: unknown): unknown =>
  typeof cause === "object" && cause !== null ? Reflect.get(cause, "code") : undefined

export const postgresqlDestination: DestinationRuntime<PostgresqlConfig, PostgresqlConnection> = {
  make
}
