import { describe, expect, it } from "vitest"
import { MysqlConfig, MysqlConnection } from "../../../src/modules/mysql/MysqlConfig.ts"
import { PostgresqlConfig, PostgresqlConnection } from "../../../src/modules/postgresql/PostgresqlConfig.ts"
import { decode } from "./decode.ts"

describe("postgresql and mysql configs", () => {
  for (const [name, Config] of [
    ["postgresql", PostgresqlConfig],
    ["mysql", MysqlConfig]
  ] as const) {
    it(`${name}: json mode by default, into webhook_events`, () => {
      expect(decode(Config, {}).value).toEqual({
        table: "webhook_events",
        storage_mode: "json",
        include_headers: true,
        create_table: true
      })
    })

    it(`${name}: validates table and column identifiers`, () => {
      expect(decode(Config, { table: "public.orders" }).problems).toEqual([])
      expect(decode(Config, { table: "orders; drop table x" }).problems[0]).toMatch(
        /^table: expected an SQL identifier/
      )
      expect(decode(Config, { table: "select" }).problems).toEqual([
        "table: 'select' is a reserved SQL word; choose another name"
      ])
      expect(decode(Config, { table: "a.b.c" }).problems).toEqual([
        "table: expected 'table' or 'schema.table', got 'a.b.c'"
      ])
    })

    it(`${name}: relational and hybrid modes need fields; upsert_key must be one of their columns`, () => {
      const fields = {
        order_id: { type: "string", required: true },
        total: { type: "number", column: "amount", from: "/totals/gross" }
      }
      expect(
        decode(Config, { storage_mode: "relational", schema: { fields }, upsert_key: "order_id" }).problems
      ).toEqual([])
      expect(decode(Config, { storage_mode: "hybrid" }).problems).toEqual([": storage_mode hybrid needs schema.fields"])
      expect(decode(Config, { storage_mode: "relational", schema: { fields }, upsert_key: "total" }).problems).toEqual([
        ": upsert_key 'total' is not one of the schema's columns (order_id, amount)"
      ])
      expect(decode(Config, { upsert_key: "id" }).problems).toEqual([
        ": upsert_key applies to relational and hybrid modes (json mode dedupes on the idempotency key)"
      ])
      expect(
        decode(Config, { storage_mode: "hybrid", schema: { fields: { event_id: { type: "string" } } } }).problems
      ).toEqual([
        ": column 'event_id' is written by the destination itself (id, idempotency_key, event_id, webhook_id, payload, headers, created_at); map the field to another column"
      ])
      expect(
        decode(Config, {
          storage_mode: "relational",
          schema: { fields: { a: { type: "int", column: "n" }, b: { type: "int", column: "N" } } }
        }).problems
      ).toEqual([": two fields map to column 'N'"])
      expect(
        decode(Config, { storage_mode: "relational", schema: { fields: { x: { type: "uuid" } } } }).problems[0]
      ).toMatch(/^schema\.fields\.x\.type: expected one of 'string', 'text'/)
    })
  }

  it("connections: a connection string or host with database and user, never both", () => {
    const base = { type: "postgresql" }
    expect(decode(PostgresqlConnection, { ...base, connection_string: "postgresql://u:p@h/db" }).problems).toEqual([])
    expect(decode(PostgresqlConnection, { ...base, host: "h", database: "d", user: "u" }).value).toMatchObject({
      port: 5432,
      pool_size: 10
    })
    expect(decode(PostgresqlConnection, base).problems).toEqual([": needs connection_string or host"])
    expect(decode(PostgresqlConnection, { ...base, host: "h" }).problems).toEqual([
      ": with host, database and user are required"
    ])
    expect(decode(PostgresqlConnection, { ...base, host: "h", connection_string: "postgres://x" }).problems).toEqual([
      ": give either connection_string or host, not both"
    ])
    expect(decode(MysqlConnection, { type: "mysql", host: "h", database: "d", user: "root" }).value).toMatchObject({
      port: 3306
    })
    expect(decode(MysqlConnection, { type: "mysql", connection_string: "postgres://u:hunter2@h/d" }).problems).toEqual([
      "connection_string: expected a mysql:// or mariadb:// connection string"
    ])
    expect(
      decode(PostgresqlConnection, { ...base, host: "h", database: "d", user: "u", pool_size: 101 }).problems
    ).toEqual(["pool_size: expected an integer between 1 and 100, got 101"])
  })
})
