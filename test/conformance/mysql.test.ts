/**
 * mysql against the machine's MariaDB (MARIADB_URL, default root@127.0.0.1:3306/test): the
 * shared conformance suite, in json mode. What only this destination promises is in
 * test/integration/modules/mysql.test.ts.
 */
import { Effect } from "effect"
import mysql from "mysql2/promise"
import { afterAll } from "vitest"
import { freePort } from "../../src/kafka/local/freePort.ts"
import type { MysqlConfig, MysqlConnection } from "../../src/modules/mysql/MysqlConfig.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { requireService } from "../support/services.ts"
import { mariadbLogin, uniqueTable, withMariadbSession } from "../support/sqlSessions.ts"
import { conformance } from "./conformance.ts"

const mysqlDestination = await loadDestination("mysql")

await requireService("mariadb")
const closedPort = await Effect.runPromise(freePort)
const connection = { type: "mysql", ...mariadbLogin() }
const created: Array<string> = []

afterAll(async () => {
  await withMariadbSession(async (session) => {
    for (const table of created) await session.query(`DROP TABLE IF EXISTS \`${table}\``)
  })
})

conformance<MysqlConfig, MysqlConnection>({
  name: "mysql",
  spec: mysqlDestination,
  connection,
  unreachableConnection: { ...connection, port: closedPort },
  config: () => {
    const table = uniqueTable("conf_my")
    created.push(table)
    return { table }
  },
  badConfig: { config: { upsert_key: "order_id" }, path: "upsert_key" },
  dedupes: true,
  effects: (config, _connection, eventId) =>
    withMariadbSession(async (session) => {
      const [rows] = await session.query(`SELECT COUNT(*) AS n FROM \`${config.table}\` WHERE event_id = ?`, [eventId])
      return Number((rows as Array<{ n: number }>)[0]?.n)
    }),
  // MariaDB table locks belong to the session that took them: this one stays open until release
  hold: async (config) => {
    const session = await mysql.createConnection(mariadbLogin())
    await session.query(`LOCK TABLES \`${config.table}\` WRITE`)
    return {
      release: async () => {
        await session.query("UNLOCK TABLES")
        await session.end()
      }
    }
  }
})
