/**
 * postgresql against the machine's PostgreSQL (POSTGRES_URL, default postgres@127.0.0.1:5432/test):
 * the shared conformance suite, in json mode. What only this destination promises is in
 * test/integration/modules/postgresql.test.ts.
 */
import { Effect } from "effect"
import pg from "pg"
import { afterAll } from "vitest"
import { freePort } from "../../src/kafka/local/freePort.ts"
import type { PostgresqlConfig, PostgresqlConnection } from "../../src/modules/postgresql/PostgresqlConfig.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { requireService } from "../support/services.ts"
import { postgresLogin, uniqueTable, withPgClient } from "../support/sqlSessions.ts"
import { conformance } from "./conformance.ts"

const postgresqlDestination = await loadDestination("postgresql")

await requireService("postgres")
const closedPort = await Effect.runPromise(freePort)
const connection = { type: "postgresql", ...postgresLogin() }
const created: Array<string> = []

afterAll(async () => {
  await withPgClient(async (client) => {
    for (const table of created) await client.query(`DROP TABLE IF EXISTS "${table}"`)
  })
})

conformance<PostgresqlConfig, PostgresqlConnection>({
  name: "postgresql",
  spec: postgresqlDestination,
  connection,
  unreachableConnection: { ...connection, port: closedPort },
  config: () => {
    const table = uniqueTable("conf_pg")
    created.push(table)
    return { table }
  },
  badConfig: { config: { storage_mode: "relational" }, path: "storage_mode" },
  dedupes: true,
  effects: (config, _connection, eventId) =>
    withPgClient(async (client) => {
      const result = await client.query(`SELECT count(*)::int AS n FROM "${config.table}" WHERE event_id = $1`, [
        eventId
      ])
      return Number(result.rows[0]?.n)
    }),
  // another session takes the table's strongest lock, so the destination's INSERT waits on it
  hold: async (config) => {
    const client = new pg.Client(postgresLogin())
    await client.connect()
    await client.query("BEGIN")
    await client.query(`LOCK TABLE "${config.table}" IN ACCESS EXCLUSIVE MODE`)
    return {
      release: async () => {
        await client.query("ROLLBACK")
        await client.end()
      }
    }
  }
})
