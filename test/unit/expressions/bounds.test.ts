/**
 * Runtime bounds and failures of expressions: a pathological JSONata expression is interrupted
 * (expression_limit), templated headers cannot inject lines, failures never quote event values,
 * and the regular-expression rule accepts the usual patterns and refuses the exponential ones.
 */
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import type { ExpressionContext, StepShape } from "../../../src/domain/Expression.ts"
import { expressionContext } from "../../../src/expressions/expressionContext.ts"
import { jsonSize } from "../../../src/expressions/jsonSize.ts"
import { regexProblem } from "../../../src/expressions/safeRegex.ts"
import { compileStepShape } from "../../../src/expressions/stepShape.ts"

const shape = (transform: string | undefined, headers?: Record<string, string>): StepShape => {
  const compiled = compileStepShape({
    ...(transform === undefined ? {} : { transform }),
    ...(headers === undefined ? {} : { headers }),
    path: "chain.3",
    maxBodyBytes: 1_048_576
  })
  if (compiled.shape === undefined) throw new Error(JSON.stringify(compiled.problems))
  return compiled.shape
}

const context = (payload: unknown, headers: Record<string, string> = {}): ExpressionContext =>
  expressionContext({ payload, headers, webhookId: "w", eventId: "e" })

const failure = async (s: StepShape, ctx: ExpressionContext) => {
  const exit = await Effect.runPromiseExit(s.render(ctx))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error === undefined || error._tag !== "Fail") throw new Error("no failure")
  return error.error
}

describe("JSONata evaluation is bounded", () => {
  it("an exponential recursion is interrupted: expression_limit", async () => {
    const f = await failure(shape("($f := function($n){ $n > 0 ? $f($n - 1) + $f($n - 1) : 1 }; $f(40))"), context({}))
    expect(f.reason).toBe("expression_limit")
    expect(f.message).toContain("chain.3.transform")
    // the step budget, or on a machine slow enough to take a second for 250,000 steps, the backstop
    expect(f.message).toMatch(/took more than 250000 evaluation steps|ran for more than 1000 ms/)
  })

  it("unbounded recursion is stopped by the depth bound: expression_limit", async () => {
    const f = await failure(shape("($f := function($n){ $f($n + 1) + 1 }; $f(0))"), context({}))
    expect(f.reason).toBe("expression_limit")
  })

  it("a transform that matches nothing fails (no body is sent rather than 'undefined')", async () => {
    const f = await failure(shape("missing.field"), context({ present: 1 }))
    expect(f.reason).toBe("transform_failed")
    expect(f.message).toContain("produced nothing")
  })
})

describe("templated headers", () => {
  it("render from the payload, headers and event", async () => {
    const s = shape(undefined, { "X-Id": "ord-{{ id }}", "X-Kind": "{{ $headers.'x-kind' }}/{{ $event.id }}" })
    const shaped = await Effect.runPromise(s.render(context({ id: 7 }, { "X-Kind": "order" })))
    expect(shaped).toEqual({ headers: { "x-id": "ord-7", "x-kind": "order/e" } })
  })

  it("refuse a rendered value with a line break (no header injection), without quoting it", async () => {
    const f = await failure(shape(undefined, { "X-Name": "{{ name }}" }), context({ name: "secret\r\nX-Evil: 1" }))
    expect(f.reason).toBe("transform_failed")
    expect(f.message).not.toContain("secret")
    expect(f.message).not.toContain("X-Evil")
  })

  it("fail on a placeholder that produces nothing or an object", async () => {
    expect((await failure(shape(undefined, { "X-A": "{{ nope }}" }), context({}))).reason).toBe("transform_failed")
    expect((await failure(shape(undefined, { "X-A": "{{ $ }}" }), context({ a: 1 }))).reason).toBe("transform_failed")
  })
})

describe("failures never quote the event's values", () => {
  it.each([
    ["amount * 2", { amount: "hunter2-secret" }],
    ["$substring(code, 'x')", { code: "hunter2-secret" }],
    ["$number(code)", { code: "hunter2-secret" }],
    ["$uppercase(n)", { n: { token: "hunter2-secret" } }]
  ])("%s", async (transform, payload) => {
    const f = await failure(shape(transform), context(payload))
    expect(f.reason).toBe("transform_failed")
    expect(f.message).not.toContain("hunter2")
  })
})

describe("regular expressions", () => {
  it.each(["^refs/heads/", "^[a-z0-9-]+$", "(foo)?bar", "a{2,5}b", "^(ab)+$", "\\d+\\.\\d+", "[(+*)]+"])(
    "accepts %s",
    (pattern) => expect(regexProblem(pattern)).toBeUndefined()
  )
  it.each(["(a+)+$", "(a*)*", "(a|aa)+", "((ab)+c)+", "(x+x+)+y", "(\\w+)\\1", "(?=a)b", "(a{1,})*"])(
    "refuses %s",
    (pattern) => expect(regexProblem(pattern)).toBeDefined()
  )
})

describe("jsonSize", () => {
  it("measures JSON and stops once over the limit", () => {
    const value = { a: [1, "xy", true, null], b: { c: 2.5 } }
    const size = jsonSize(value, 1_000)
    expect("bytes" in size && size.bytes).toBeGreaterThanOrEqual(JSON.stringify(value).length)
    expect(jsonSize({ big: "x".repeat(2_000) }, 1_000)).toEqual({ over: true })
    expect(jsonSize({ f: () => 1, n: 1 }, 1_000)).toHaveProperty("bytes")
    expect(jsonSize([Number.NaN], 1_000)).toEqual({ notJson: "a non-finite number" })
  })
})
