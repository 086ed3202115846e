/**
 * Expressions in stream files: compiled at load; what does not compile is a config issue at the
 * key's path with the position in the expression (what `hookstream validate` prints).
 */
import { describe, expect, it } from "vitest"
import { only, problems, stream, validate } from "./fixtures.ts"

const http = { module: "http", config: { url: "http://127.0.0.1:8089/x", allowed_hosts: ["127.0.0.1"] } }

describe("filter, when, transform and headers in a stream file", () => {
  it("compile once into the plan", () => {
    const s = only(
      validate(
        stream(
          [
            { module: "log", when: "payload.n > 1.0" },
            { ...http, transform: "{ 'id': id }", headers: { "X-Id": "{{ id }}" } }
          ],
          {
            filter: 'headers["x-kind"] == "order"'
          }
        )
      )
    )
    expect(s.plan.filter?.path).toBe("filter")
    expect(s.plan.modules[0]?.when?.path).toBe("chain.0.when")
    expect(s.plan.modules[1]?.shape?.transform).toBe("{ 'id': id }")
    expect(s.plan.modules[1]?.shape?.headerNames).toEqual(["x-id"])
  })

  it("report syntax errors with the column in the expression", () => {
    expect(
      problems(
        validate(
          stream(
            [
              { module: "log", when: "payload.n >" },
              { ...http, transform: '{ "a": b ' }
            ],
            { filter: "payload.x ==" }
          )
        )
      )
    ).toEqual([
      "chain.0.when: CEL: Unexpected token: EOF (at column 12 of the expression)",
      'chain.1.transform: JSONata: S0203: Expected "}" before end of expression (at column 9 of the expression)',
      "filter: CEL: Unexpected token: EOF (at column 13 of the expression)"
    ])
  })

  it("type-check conditions: unknown variables, operators that cannot apply, non-bool results", () => {
    expect(
      problems(
        validate(
          stream([
            { module: "log", when: "paylod.x == 1" },
            { module: "log", when: 'headers["a"] == 1' },
            { module: "log", when: "webhook_id" }
          ])
        )
      )
    ).toEqual([
      "chain.0.when: CEL: Unknown variable: paylod (at column 1 of the expression)",
      "chain.1.when: CEL: no such overload: string == int (at column 1 of the expression)",
      "chain.2.when: CEL: a condition must be a bool, this one is a string"
    ])
  })

  it("refuse what could stall a partition: nested comprehensions, payload in a loop body, unsafe patterns, $eval", () => {
    expect(
      problems(
        validate(
          stream([
            { module: "log", when: "payload.a.exists(x, payload.b.exists(y, x == y))" },
            { module: "log", when: "payload.a.exists(x, x == payload.b)" },
            { module: "log", when: 'payload.s.matches("(a+)+$")' },
            { module: "log", when: "payload.s.matches(payload.p)" },
            { ...http, transform: "$eval(code)" },
            { ...http, transform: "$match(s, /(a|aa)*b/)" }
          ])
        )
      ).map((line) => line.replace(/ \(at column \d+ of the expression\)$/, ""))
    ).toEqual([
      "chain.0.when: CEL: a comprehension inside another one's body is not allowed (quadratic)",
      "chain.1.when: CEL: a comprehension's body cannot read payload (only its own variable): it would cost the payload's size per element",
      "chain.2.when: CEL: a repeated group repeats or alternates inside (exponential backtracking); rewrite it without nesting",
      "chain.3.when: CEL: matches() takes a string literal pattern",
      "chain.4.transform: JSONata: $eval is not allowed (it would run code taken from the event)",
      "chain.5.transform: JSONata: a repeated group repeats or alternates inside (exponential backtracking); rewrite it without nesting"
    ])
  })

  it("allow headers on http steps only, and never hookstream's own headers", () => {
    expect(
      problems(
        validate(
          stream([
            { module: "log", headers: { "X-A": "a" } },
            { ...http, headers: { "Idempotency-Key": "{{ id }}", "X-B": "{{ ( }}", "X-C": "{{ id" } }
          ])
        )
      )
    ).toEqual([
      "chain.0.headers: headers applies only to http steps",
      "chain.1.headers.Idempotency-Key: Idempotency-Key is set by hookstream itself and cannot be templated",
      'chain.1.headers.X-B: JSONata: S0203: Expected ")" before end of expression (at column 5 of the expression)',
      "chain.1.headers.X-C: JSONata: unbalanced {{ }} placeholder"
    ])
  })
})
