/**
 * The synchronous fast path answers exactly what jsonata answers, or asks jsonata (BAIL): checked
 * on random payloads (fast-check) for expressions in and around the subset it covers.
 */
import fc from "fast-check"
import jsonata from "jsonata"
import { describe, expect, it } from "vitest"
import { BAIL, compileFastPath } from "../../../src/expressions/jsonataFastPath.ts"

const COVERED = [
  '{ "id": order.id, "customer": order.customer.id, "total": order.total / 100 }',
  "order.total * 2 + 1",
  "order.total - order.tax",
  "order.total % 7",
  "-order.total",
  '"id-" & order.id',
  'order.id & "-" & order.customer.name',
  '{ "a": { "b": order.id, "c": 2 } }',
  '{ "n": null, "t": true, "s": "x", "num": 1.5 }',
  "order",
  "order.lines",
  "`order`.`id`",
  "order.lines.qty"
]
const NOT_COVERED = ["order.lines[0]", "$sum(order.lines.qty)", '{ "a": $ }', "[order.id]", '{ "k": 1, "k": 2 }']

const scalar = fc.oneof(
  fc.integer({ min: -1_000, max: 1_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(0)
)
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.constantFrom("id", "qty"), scalar))
const payload = fc.oneof(
  fc.record(
    {
      order: fc.oneof(
        fc.record(
          {
            id: value,
            total: value,
            tax: value,
            customer: fc.oneof(fc.record({ id: value, name: value }, { requiredKeys: [] }), value),
            lines: fc.array(fc.record({ qty: scalar }), { maxLength: 3 })
          },
          { requiredKeys: [] }
        ),
        value
      )
    },
    { requiredKeys: [] }
  ),
  value
)

const viaJsonata = async (source: string, input: unknown): Promise<{ value?: unknown; error?: string }> => {
  try {
    return { value: JSON.parse(JSON.stringify((await jsonata(source).evaluate(input)) ?? null)) }
  } catch (error) {
    return { error: String((error as { code?: string }).code) }
  }
}

describe("jsonata fast path", () => {
  it("covers the usual shapes and refuses the rest at compile time", () => {
    for (const source of COVERED) expect(compileFastPath(jsonata(source).ast()), source).toBeDefined()
    for (const source of NOT_COVERED) expect(compileFastPath(jsonata(source).ast()), source).toBeUndefined()
  })

  it.each(COVERED)("agrees with jsonata whenever it answers: %s", async (source) => {
    const fast = compileFastPath(jsonata(source).ast())
    if (fast === undefined) throw new Error("not covered")
    let answered = 0
    await fc.assert(
      fc.asyncProperty(payload, async (input) => {
        if (Array.isArray(input)) return // an array payload always goes to jsonata (jsonataExpression.ts)
        const mine = fast(input)
        if (mine === BAIL) return
        answered++
        const theirs = await viaJsonata(source, input)
        expect(theirs.error, `jsonata failed where the fast path answered ${JSON.stringify(mine)}`).toBeUndefined()
        expect(JSON.parse(JSON.stringify(mine ?? null))).toEqual(theirs.value)
      }),
      { numRuns: 300 }
    )
    expect(answered).toBeGreaterThan(0)
  })
})
