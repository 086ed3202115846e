/**
 * What only the mysql destination promises, against the machine's MariaDB (MARIADB_URL):
 * the storage modes and their column types, upserts with exact key comparison, strict mode,
 * error reasons, table creation, and KILL QUERY when a send is interrupted. The shared suite
 * runs in test/conformance/mysql.test.ts.
 */
import { Effect, Fiber, Schema } from "effect"
import mysql from "mysql2/promise"
import { afterAll, describe, expect, it } from "vitest"
import { idempotencyKey } from "../../../src/domain/IdempotencyKey.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import type { MysqlConfig } from "../../../src/modules/mysql/MysqlConfig.ts"
import { loadDestination } from "../../../src/modules/registry.ts"
import { delivery } from "../../conformance/conformance.ts"
import { failed, succeeded, withDestination as withSpec } from "../../support/destinationHarness.ts"
import { requireService } from "../../support/services.ts"
import { mariadbLogin, uniqueTable, withMariadbSession as withSession } from "../../support/sqlSessions.ts"
import { waitFor } from "../../support/waitFor.ts"

const mysqlDestination = await loadDestination("mysql")

const server = await requireService("mariadb")
const connection = { type: "mysql", ...mariadbLogin() }
const created: Array<string> = []

afterAll(async () => {
  await withSession(async (session) => {
    for (const table of created) await session.query(`DROP TABLE IF EXISTS \`${table}\``)
  })
})

const rowsOf = (table: string, eventId: string) =>
  withSession(async (session) => {
    const [rows] = await session.query(`SELECT * FROM \`${table}\` WHERE event_id = ? ORDER BY id`, [eventId])
    return rows as Array<Record<string, unknown>>
  })

const decodeConfig = (raw: unknown) => Schema.decodeUnknownSync(mysqlDestination.config)(raw)

const withDestination = <A>(
  use: (destination: Destination<MysqlConfig>) => Promise<A>,
  rawConnection: unknown = connection
) => withSpec(mysqlDestination, rawConnection, use)

const relational = (table: string) =>
  decodeConfig({
    table,
    storage_mode: "relational",
    upsert_key: "order_id",
    schema: {
      fields: {
        order_id: { type: "string", required: true },
        quantity: { type: "int" },
        total: { type: "number", column: "amount", from: "/totals/gross" },
        paid: { type: "boolean", default: false },
        placed_at: { type: "datetime" },
        ship_on: { type: "date" },
        items: { type: "json" },
        note: { type: "text" }
      }
    }
  })

describe("mysql destination", () => {
  it("json mode stores payload and headers as JSON, values verbatim (no SQL from data)", async () => {
    const table = uniqueTable("my_json")
    created.push(table)
    const config = decodeConfig({ table })
    const payload = { note: "'); DROP TABLE x; -- \\' \\\\", nested: [1, { 'a"b': null }], unicode: "żółw 🐢" }
    const d = delivery(config, { payload, headers: { "x-trace": "abc" } })
    await withDestination(async (destination) => {
      expect((await succeeded(destination, d)).detail).toBe(`inserted into ${table}`)
      expect((await succeeded(destination, { ...d, attempt: 2 })).detail).toBe(
        `already in ${table} (same idempotency key)`
      )
    })
    const rows = await rowsOf(table, d.eventId)
    expect(rows).toHaveLength(1)
    const row = rows[0] ?? {}
    // MariaDB's JSON is LONGTEXT with a JSON_VALID check: it comes back as text
    const json = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value)
    expect(row.idempotency_key).toBe(d.idempotencyKey)
    expect(json(row.payload)).toEqual(payload)
    expect(json(row.headers)).toEqual({ "x-trace": "abc" })
    expect(row.created_at).toBeInstanceOf(Date)
  })

  it("relational mode maps fields to typed columns and upserts on upsert_key (keys compare exactly)", async () => {
    const table = uniqueTable("my_rel")
    created.push(table)
    const config = relational(table)
    const first = delivery(config, {
      payload: {
        order_id: "A-1",
        quantity: 3,
        totals: { gross: 12.5 },
        placed_at: "2026-01-02T03:04:05.678Z",
        ship_on: "2026-01-05",
        items: [{ sku: "x" }],
        note: "first"
      }
    })
    const second = delivery(config, {
      payload: {
        order_id: "A-1",
        quantity: "4",
        totals: { gross: "13" },
        paid: true,
        placed_at: "2026-01-02T03:04:05.678Z",
        note: "second"
      }
    })
    const other = delivery(config, { payload: { order_id: "a-1" } })
    await withDestination(async (destination) => {
      await succeeded(destination, first)
      await succeeded(destination, second)
      await succeeded(destination, other)
    })
    const rows = await withSession(async (session) => {
      const [result] = await session.query(`SELECT * FROM \`${table}\` ORDER BY id`)
      return result as Array<Record<string, unknown>>
    })
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({
      order_id: "A-1",
      quantity: 4,
      amount: 13,
      paid: 1,
      items: null,
      note: "second",
      event_id: second.eventId
    })
    // written as UTC; this test's sessions read DATETIME as UTC too
    expect(rows[0]?.placed_at).toEqual(new Date("2026-01-02T03:04:05.678Z"))
    expect(rows[1]).toMatchObject({ order_id: "a-1", paid: 0 })
  })

  it("strict mode: a value too long for its column is invalid_payload and never echoes the value", async () => {
    const table = uniqueTable("my_long")
    created.push(table)
    const config = decodeConfig({
      table,
      storage_mode: "relational",
      schema: { fields: { code: { type: "string" } } }
    })
    await withDestination(async (destination) => {
      const error = await failed(destination, delivery(config, { payload: { code: `secret${"x".repeat(300)}` } }))
      expect(error).toMatchObject({ reason: "invalid_payload", retryable: false })
      expect(error.message).toMatch(/1406/)
      expect(error.message).not.toContain("secret")
    })
  })

  it("a constraint of the user's table is rejected, not retried", async () => {
    const table = uniqueTable("my_chk")
    created.push(table)
    const config = relational(table)
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config, { payload: { order_id: "C-1" } }))
      await withSession((session) =>
        session.query(`ALTER TABLE \`${table}\` ADD CONSTRAINT positive CHECK (quantity > 0)`)
      )
      const error = await failed(destination, delivery(config, { payload: { order_id: "C-2", quantity: -1 } }))
      expect(error).toMatchObject({ reason: "rejected", retryable: false })
    })
  })

  it("create_table: false needs the table: a missing one is misconfigured", async () => {
    const config = decodeConfig({ table: uniqueTable("my_missing"), create_table: false })
    await withDestination(async (destination) => {
      const error = await failed(destination, delivery(config))
      expect(error).toMatchObject({ reason: "misconfigured", retryable: false })
      expect(error.message).toContain("1146")
    })
  })

  it("a table dropped after creation fails retryable, and the next attempt creates it again", async () => {
    const table = uniqueTable("my_dropped")
    created.push(table)
    const config = decodeConfig({ table })
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config))
      await withSession((session) => session.query(`DROP TABLE \`${table}\``))
      const d = delivery(config)
      expect(await failed(destination, d)).toMatchObject({
        reason: "unavailable",
        retryable: true
      })
      await succeeded(destination, { ...d, attempt: 2 })
    })
  })

  it("an unknown user is unauthorized (not retryable), and the message carries no credentials", async () => {
    const config = decodeConfig({ table: uniqueTable("my_auth") })
    await withDestination(
      async (destination) => {
        const error = await failed(destination, delivery(config))
        expect(error).toMatchObject({ reason: "unauthorized", retryable: false })
        expect(error.message).not.toContain("hunter2")
        expect(error.message).not.toContain("no_such_user_hs")
      },
      {
        type: "mysql",
        connection_string: `mysql://no_such_user_hs:hunter2@${server.host}:${server.port}/${server.database}`
      }
    )
  })

  it("an interrupted insert is killed on the server: unlocking afterwards writes nothing", async () => {
    const table = uniqueTable("my_kill")
    created.push(table)
    const config = decodeConfig({ table })
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config))
      const holder = await mysql.createConnection(mariadbLogin())
      await holder.query(`LOCK TABLES \`${table}\` WRITE`)
      const d = delivery(config)
      const fiber = Effect.runFork(destination.send(d))
      await waitFor(async () =>
        withSession(async (session) => {
          const [rows] = await session.query(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table%' AND INFO LIKE ?",
            [`INSERT INTO \`${table}\`%`]
          )
          return (rows as Array<{ n: number }>)[0]?.n === 1
        })
      )
      await Effect.runPromise(Fiber.interrupt(fiber))
      await holder.query("UNLOCK TABLES")
      await holder.end()
      const after = delivery(config)
      await succeeded(destination, after)
      expect(await rowsOf(table, after.eventId)).toHaveLength(1)
      expect(await rowsOf(table, d.eventId)).toHaveLength(0)
    })
  })

  it("the server killing the session mid-statement is retryable, and the pool recovers", async () => {
    const table = uniqueTable("my_killed")
    created.push(table)
    const config = decodeConfig({ table })
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config))
      const holder = await mysql.createConnection(mariadbLogin())
      await holder.query(`LOCK TABLES \`${table}\` WRITE`)
      const pending = failed(destination, delivery(config))
      const waitingThread = async () =>
        withSession(async (session) => {
          const [rows] = await session.query(
            "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table%' AND INFO LIKE ?",
            [`INSERT INTO \`${table}\`%`]
          )
          return (rows as Array<{ id: number }>)[0]?.id
        })
      await waitFor(async () => (await waitingThread()) !== undefined)
      const thread = await waitingThread()
      await withSession((session) => session.query(`KILL CONNECTION ${Number(thread)}`))
      const error = await pending
      expect(error.retryable).toBe(true)
      expect(["unreachable", "unavailable"]).toContain(error.reason)
      await holder.query("UNLOCK TABLES")
      await holder.end()
      await succeeded(destination, delivery(config))
    })
  })

  it("the longest ids an event can carry fit (64-character stream id, 200-character event id, 64-character module id)", async () => {
    const table = uniqueTable("my_long_ids")
    created.push(table)
    const config = decodeConfig({ table })
    const eventId = `e${"x".repeat(199)}`
    const moduleId = `m${"y".repeat(63)}`
    const webhookId = `w${"z".repeat(63)}`
    const d = delivery(config, {
      webhookId,
      eventId,
      moduleId,
      idempotencyKey: idempotencyKey(webhookId, eventId, moduleId)
    })
    await withDestination(async (destination) => {
      await succeeded(destination, d)
      await succeeded(destination, { ...d, attempt: 2 })
    })
    expect(await rowsOf(table, eventId)).toHaveLength(1)
  })
})
