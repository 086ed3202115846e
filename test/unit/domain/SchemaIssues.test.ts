import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  type IssueReport,
  reportIssues,
  reportingParseOptions,
  sensitiveAnnotation
} from "../../../src/domain/SchemaIssues.ts"

const report = (schema: Schema.Decoder<unknown>, input: unknown, options = {}): Array<IssueReport> => {
  const result = Schema.decodeUnknownResult(schema)(input, reportingParseOptions)
  return Result.isSuccess(result) ? [] : reportIssues(result.failure.issue, options)
}

const S = Schema.Struct({
  n: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10 }, { expected: "an integer between 1 and 10" }))
  ),
  secret: Schema.optionalKey(Schema.String.annotate(sensitiveAnnotation).check(Schema.isMinLength(8))),
  flag: Schema.optionalKey(Schema.Boolean),
  mode: Schema.optionalKey(Schema.Literals(["fast", "slow"]))
})

describe("reportIssues", () => {
  it("reports every problem with its path", () => {
    expect(report(S, { n: 0, flag: 1, mode: "fst", other: 1 })).toEqual([
      { path: ["other"], message: "unknown key 'other' (allowed: flag, mode, n, secret)" },
      { path: ["n"], message: "expected an integer between 1 and 10, got 0" },
      { path: ["flag"], message: "expected true or false, got 1" },
      { path: ["mode"], message: "expected one of 'fast', 'slow', got 'fst' (did you mean 'fast'?)" }
    ])
  })

  it("prefixes paths and never echoes sensitive or concealed values", () => {
    expect(report(S, { secret: "short" }, { basePath: ["a", 0] })).toEqual([
      { path: ["a", 0, "secret"], message: "expected a value with a length of at least 8" }
    ])
    expect(report(S, { n: 11 }, { conceal: () => true })).toEqual([
      { path: ["n"], message: "expected an integer between 1 and 10, got a value from the environment" }
    ])
  })

  it("marks strings that would be valid as numbers or booleans, for coercing environment values", () => {
    expect(report(S, { n: "5", flag: "true", mode: "5" })).toEqual([
      { path: ["n"], message: "expected an integer between 1 and 10, got '5'", coercible: "number" },
      { path: ["flag"], message: "expected true or false, got 'true'", coercible: "boolean" },
      { path: ["mode"], message: "expected one of 'fast', 'slow', got '5'" }
    ])
  })

  it("shortens long inputs", () => {
    const [issue] = report(S, { mode: "x".repeat(100) })
    expect(issue?.message).toBe(`expected one of 'fast', 'slow', got '${"x".repeat(57)}...'`)
  })
})
