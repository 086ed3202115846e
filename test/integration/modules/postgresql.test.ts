/**
 * What only the postgresql destination promises, against the machine's PostgreSQL
 * (POSTGRES_URL): the three storage modes and their column types, upserts, error reasons,
 * table creation, and cancelling a statement on the server when a send is interrupted.
 * The shared suite runs in test/conformance/postgresql.test.ts.
 */
import { Effect, Fiber, Schema } from "effect"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import type { Destination } from "../../../src/modules/Destination.ts"
import type { PostgresqlConfig } from "../../../src/modules/postgresql/PostgresqlConfig.ts"
import { loadDestination } from "../../../src/modules/registry.ts"
import { delivery } from "../../conformance/conformance.ts"
import { failed, succeeded, withDestination as withSpec } from "../../support/destinationHarness.ts"
import { requireService } from "../../support/services.ts"
import { postgresLogin, uniqueTable, withPgClient as withClient } from "../../support/sqlSessions.ts"
import { waitFor } from "../../support/waitFor.ts"

const postgresqlDestination = await loadDestination("postgresql")

const server = await requireService("postgres")
const connection = { type: "postgresql", ...postgresLogin() }
const created: Array<string> = []

afterAll(async () => {
  await withClient(async (client) => {
    for (const table of created) await client.query(`DROP TABLE IF EXISTS "${table}"`)
  })
})

const rowsOf = (table: string, eventId: string) =>
  withClient(async (client) => {
    const result = await client.query(`SELECT * FROM "${table}" WHERE event_id = $1 ORDER BY id`, [eventId])
    return result.rows as Array<Record<string, unknown>>
  })

const decodeConfig = (raw: unknown) => Schema.decodeUnknownSync(postgresqlDestination.config)(raw)

const withDestination = <A>(
  use: (destination: Destination<PostgresqlConfig>) => Promise<A>,
  rawConnection: unknown = connection
) => withSpec(postgresqlDestination, rawConnection, use)

const relational = (table: string, extra: Record<string, unknown> = {}) =>
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
    },
    ...extra
  })

describe("postgresql destination", () => {
  it("json mode stores payload and headers as JSONB, values verbatim (no SQL from data)", async () => {
    const table = uniqueTable("pg_json")
    created.push(table)
    const config = decodeConfig({ table })
    const payload = { note: "'); DROP TABLE x; --", nested: { list: [1, 2, { 'a"b': null }] }, unicode: "żółw 🐢" }
    const d = delivery(config, { payload, headers: { "x-trace": "abc" } })
    await withDestination(async (destination) => {
      expect((await succeeded(destination, d)).detail).toBe(`inserted into ${table}`)
      expect((await succeeded(destination, { ...d, attempt: 2 })).detail).toBe(
        `already in ${table} (same idempotency key)`
      )
    })
    const rows = await rowsOf(table, d.eventId)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      idempotency_key: d.idempotencyKey,
      webhook_id: "conformance",
      payload,
      headers: { "x-trace": "abc" }
    })
    expect(rows[0]?.created_at).toBeInstanceOf(Date)
  })

  it("relational mode maps fields to typed columns and upserts on upsert_key", async () => {
    const table = uniqueTable("pg_rel")
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
      payload: { order_id: "A-1", quantity: "4", totals: { gross: "13" }, paid: true, note: "second" }
    })
    await withDestination(async (destination) => {
      await succeeded(destination, first)
      await succeeded(destination, second)
    })
    const rows = await withClient(async (client) => (await client.query(`SELECT * FROM "${table}"`)).rows)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      order_id: "A-1",
      quantity: "4", // BIGINT comes back as a string from pg
      amount: 13,
      paid: true,
      placed_at: null,
      items: null,
      note: "second",
      event_id: second.eventId
    })
    const types = await withClient(
      async (client) =>
        (
          await client.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            [table]
          )
        ).rows
    )
    expect(Object.fromEntries(types.map((r) => [r.column_name, r.data_type]))).toMatchObject({
      order_id: "text",
      quantity: "bigint",
      amount: "double precision",
      paid: "boolean",
      placed_at: "timestamp with time zone",
      ship_on: "date",
      items: "jsonb",
      note: "text"
    })
  })

  it("hybrid mode stores the payload beside the mapped columns", async () => {
    const table = uniqueTable("pg_hyb")
    created.push(table)
    const config = decodeConfig({
      table,
      storage_mode: "hybrid",
      include_headers: false,
      schema: { fields: { order_id: { type: "string" }, quantity: { type: "int" } } }
    })
    const d = delivery(config, { payload: { order_id: "H-1", quantity: 2, extra: { a: 1 } } })
    await withDestination(async (destination) => {
      await succeeded(destination, d)
      await succeeded(destination, { ...d, attempt: 2 })
    })
    const rows = await rowsOf(table, d.eventId)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ order_id: "H-1", quantity: "2", payload: d.payload })
    expect(rows[0]).not.toHaveProperty("headers")
  })

  it("a payload that does not fit is invalid_payload (not retryable), names the field, not the value", async () => {
    const table = uniqueTable("pg_bad")
    created.push(table)
    const config = relational(table)
    await withDestination(async (destination) => {
      const missing = await failed(destination, delivery(config, { payload: {} }))
      expect(missing).toMatchObject({ reason: "invalid_payload", retryable: false })
      expect(missing.message).toContain("order_id")
      const wrong = await failed(
        destination,
        delivery(config, { payload: { order_id: "B-1", quantity: "secret-value" } })
      )
      expect(wrong).toMatchObject({ reason: "invalid_payload", retryable: false })
      expect(wrong.message).toContain("quantity")
      expect(wrong.message).not.toContain("secret-value")
    })
  })

  it("the server's own data errors are invalid_payload and never echo the value", async () => {
    const table = uniqueTable("pg_22")
    created.push(table)
    const config = decodeConfig({ table })
    await withDestination(async (destination) => {
      // JSONB cannot hold NUL: the server rejects it with 22P05
      const error = await failed(destination, delivery(config, { payload: { s: "top\u0000secret" } }))
      expect(error).toMatchObject({ reason: "invalid_payload", retryable: false })
      expect(error.message).toMatch(/SQLSTATE 22/)
      expect(error.message).not.toContain("secret")
    })
  })

  it("a constraint of the user's table is rejected, not retried", async () => {
    const table = uniqueTable("pg_chk")
    created.push(table)
    const config = relational(table)
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config, { payload: { order_id: "C-1" } }))
      await withClient((client) => client.query(`ALTER TABLE "${table}" ADD CONSTRAINT positive CHECK (quantity > 0)`))
      const error = await failed(destination, delivery(config, { payload: { order_id: "C-2", quantity: -1 } }))
      expect(error).toMatchObject({ reason: "rejected", retryable: false })
      expect(error.message).toContain("positive")
    })
  })

  it("create_table: false needs the table: a missing one is misconfigured", async () => {
    const config = decodeConfig({ table: uniqueTable("pg_missing"), create_table: false })
    await withDestination(async (destination) => {
      const error = await failed(destination, delivery(config))
      expect(error).toMatchObject({ reason: "misconfigured", retryable: false })
    })
  })

  it("a table dropped after creation fails retryable, and the next attempt creates it again", async () => {
    const table = uniqueTable("pg_dropped")
    created.push(table)
    const config = decodeConfig({ table })
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config))
      await withClient((client) => client.query(`DROP TABLE "${table}"`))
      const d = delivery(config)
      expect(await failed(destination, d)).toMatchObject({
        reason: "unavailable",
        retryable: true
      })
      await succeeded(destination, { ...d, attempt: 2 })
    })
  })

  it("an unknown role is unauthorized (not retryable), and the message carries no credentials", async () => {
    const config = decodeConfig({ table: uniqueTable("pg_auth") })
    await withDestination(
      async (destination) => {
        const error = await failed(destination, delivery(config))
        expect(error).toMatchObject({ reason: "unauthorized", retryable: false })
        expect(error.message).not.toContain("hunter2")
      },
      {
        type: "postgresql",
        connection_string: `postgres://no_such_role_hs:hunter2@${server.host}:${server.port}/${server.database}`
      }
    )
  })

  it("an interrupted insert is cancelled on the server: releasing the lock afterwards writes nothing", async () => {
    const table = uniqueTable("pg_cancel")
    created.push(table)
    const config = decodeConfig({ table })
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config))
      const holder = new pg.Client(postgresLogin())
      await holder.connect()
      await holder.query("BEGIN")
      await holder.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`)
      const d = delivery(config)
      const fiber = Effect.runFork(destination.send(d))
      // the insert is waiting on the lock once the server shows it so
      await waitFor(async () =>
        withClient(async (client) => {
          const waiting = await client.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
            [`INSERT INTO "${table}"%`]
          )
          return waiting.rows[0]?.n === 1
        })
      )
      await Effect.runPromise(Fiber.interrupt(fiber))
      await holder.query("COMMIT")
      await holder.end()
      // the pool still works after destroying the interrupted client
      const after = delivery(config)
      await succeeded(destination, after)
      expect(await rowsOf(table, after.eventId)).toHaveLength(1)
      expect(await rowsOf(table, d.eventId)).toHaveLength(0)
    })
  })

  it("the server ending the session mid-statement is retryable, and the pool recovers", async () => {
    const table = uniqueTable("pg_terminated")
    created.push(table)
    const config = decodeConfig({ table })
    await withDestination(async (destination) => {
      await succeeded(destination, delivery(config))
      const holder = new pg.Client(postgresLogin())
      await holder.connect()
      await holder.query("BEGIN")
      await holder.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`)
      const pending = failed(destination, delivery(config))
      const waitingPid = async () =>
        withClient(async (client) => {
          const result = await client.query(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
            [`INSERT INTO "${table}"%`]
          )
          return result.rows[0]?.pid as number | undefined
        })
      await waitFor(async () => (await waitingPid()) !== undefined)
      const pid = await waitingPid()
      await withClient((client) => client.query("SELECT pg_terminate_backend($1)", [pid]))
      const error = await pending
      expect(error.retryable).toBe(true)
      expect(["unreachable", "unavailable"]).toContain(error.reason)
      await holder.query("ROLLBACK")
      await holder.end()
      await succeeded(destination, delivery(config))
    })
  })
})
