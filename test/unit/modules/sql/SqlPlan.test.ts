import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import type { Delivery } from "../../../../src/modules/Destination.ts"
import { PostgresqlConfig } from "../../../../src/modules/postgresql/PostgresqlConfig.ts"
import { InvalidRow, sqlPlanFor, valuesFor } from "../../../../src/modules/sql/SqlPlan.ts"

const config = (raw: unknown) => Schema.decodeUnknownSync(PostgresqlConfig)(raw)

const delivery = (payload: unknown, c: unknown): Delivery => ({
  eventId: "e-1",
  webhookId: "w",
  moduleId: "m",
  idempotencyKey: "e-1:m",
  attempt: 1,
  payload,
  payloadEncoding: "json",
  headers: { h: "v" },
  config: c
})

describe("SqlPlan", () => {
  it("json mode: the ids, payload and headers, deduped on idempotency_key", () => {
    const plan = sqlPlanFor(config({}))
    expect(plan.columns.map((c) => c.name)).toEqual(["idempotency_key", "event_id", "webhook_id", "payload", "headers"])
    expect(plan.upsertKey).toBeUndefined()
    expect(valuesFor(plan, delivery({ a: 1 }, {}))).toEqual(["e-1:m", "e-1", "w", '{"a":1}', '{"h":"v"}'])
    expect(sqlPlanFor(config({ include_headers: false })).columns.map((c) => c.name)).not.toContain("headers")
  })

  it("relational mode: fields from JSON Pointers, converted by type, defaults applied", () => {
    const plan = sqlPlanFor(
      config({
        storage_mode: "relational",
        upsert_key: "sku",
        schema: {
          fields: {
            sku: { type: "string", from: "/item/a~1b" },
            qty: { type: "integer" },
            price: { type: "float" },
            paid: { type: "bool", default: false },
            at: { type: "timestamp", default: "CURRENT_TIMESTAMP" },
            tags: { type: "json", from: "/tags/0" }
          }
        }
      })
    )
    expect(plan.columns.map((c) => c.name)).toEqual([
      "idempotency_key",
      "event_id",
      "webhook_id",
      "sku",
      "qty",
      "price",
      "paid",
      "at",
      "tags"
    ])
    expect(plan.columns.find((c) => c.name === "sku")?.notNull).toBe(true)
    const before = Date.now()
    const values = valuesFor(
      plan,
      delivery({ item: { "a/b": 42 }, qty: "9007199254740993", price: "1.5e2", tags: [{ x: 1 }] }, {})
    )
    expect(Array.isArray(values)).toBe(true)
    const [, , , sku, qty, price, paid, at, tags] = values as Array<unknown>
    expect([sku, qty, price, paid, tags]).toEqual(["42", "9007199254740993", 150, false, '{"x":1}'])
    expect(at).toBeInstanceOf(Date)
    expect((at as Date).getTime()).toBeGreaterThanOrEqual(before)
  })

  it("a missing upsert key, a required field or a value of the wrong type is an InvalidRow naming the field only", () => {
    const plan = sqlPlanFor(
      config({
        storage_mode: "hybrid",
        upsert_key: "id_",
        schema: { fields: { id_: { type: "int" }, day: { type: "date" }, ok: { type: "boolean" } } }
      })
    )
    const missing = valuesFor(plan, delivery({ day: "2026-01-01" }, {}))
    expect(missing).toEqual(new InvalidRow("field 'id_' is required and missing"))
    const wrongInt = valuesFor(plan, delivery({ id_: 1.5 }, {}))
    expect(wrongInt).toEqual(new InvalidRow("field 'id_': expected an integer"))
    const wrongDate = valuesFor(plan, delivery({ id_: 1, day: "01/02/2026 secret" }, {}))
    expect(wrongDate).toBeInstanceOf(InvalidRow)
    expect((wrongDate as InvalidRow).message).not.toContain("secret")
    expect(valuesFor(plan, delivery({ id_: 1, ok: "maybe" }, {}))).toEqual(
      new InvalidRow("field 'ok': expected a boolean")
    )
    expect(valuesFor(plan, delivery({ id_: 1, ok: null }, {}))).toEqual([
      "e-1:m",
      "e-1",
      "w",
      '{"id_":1,"ok":null}',
      '{"h":"v"}',
      1,
      null,
      null
    ])
  })
})
