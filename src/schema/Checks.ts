/**
 * Small building blocks for config schemas whose failures read well. Each helper puts the
 * full phrase ("an integer between 1 and 10") on its last check, which is what
 * `domain/SchemaIssues.ts` quotes after "expected".
 */

import type { JsonSchema } from "effect"
import { Effect, Schema, SchemaTransformation } from "effect"

/**
 * A check that writes its own failure message (`validate` returns one, or `undefined`
 * when the value is fine). `jsonSchema` is the fragment emitted for it (none by default),
 * which also lets descriptions annotated after it reach the generated JSON Schema.
 */
export const rule = <T>(
  validate: (value: T) => string | undefined,
  options: { readonly expected?: string; readonly jsonSchema?: JsonSchema.JsonSchema } = {}
) =>
  Schema.makeFilter<T>((value) => validate(value), {
    ...(options.expected === undefined ? {} : { expected: options.expected }),
    toJsonSchema: () => options.jsonSchema ?? {}
  })

export const intBetween = (minimum: number, maximum: number) =>
  Schema.Int.check(Schema.isBetween({ minimum, maximum }, { expected: `an integer between ${minimum} and ${maximum}` }))

export const numberBetween = (minimum: number, maximum: number) =>
  Schema.Finite.check(
    Schema.isBetween({ minimum, maximum }, { expected: `a number between ${minimum} and ${maximum}` })
  )

/** A string matching `pattern` (use the `u` flag so it is exported to JSON Schema), described by `expected`. */
export const matching = (pattern: RegExp, expected: string) =>
  Schema.String.check(Schema.isPattern(pattern, { expected }))

/** A non-empty string of at most `max` characters. */
export const text = (max: number) =>
  Schema.String.check(Schema.isBetweenLength(1, max, { expected: `a non-empty string of at most ${max} characters` }))

/** A list whose entries are unique, with a clear message naming the repeated entry. */
export const uniqueList = <S extends Schema.Top>(item: S, what: string) =>
  Schema.Array(item).check(
    rule<ReadonlyArray<unknown>>(
      (values) => {
        const seen = new Set<string>()
        for (const value of values) {
          const key = JSON.stringify(value)
          if (seen.has(key)) return `duplicate ${what} ${key}`
          seen.add(key)
        }
        return undefined
      },
      { jsonSchema: { uniqueItems: true } }
    )
  )

/**
 * An optional key whose default (written in file form, e.g. `"30s"`) is applied while
 * decoding and published as the JSON Schema `default`, so docs and behaviour cannot drift.
 */
export const withDefault = <S extends Schema.Top>(schema: S, value: S["Encoded"]) => {
  const defaulted = Schema.withDecodingDefaultKey<S>(Effect.succeed(value))(schema)
  return Schema.annotateEncoded<Schema.withDecodingDefaultKey<S>>({ default: value })(defaulted)
}

const splitList = (value: string): ReadonlyArray<string> =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "")

/**
 * A non-empty list of strings, also accepted as one comma-separated string, because lists
 * often arrive through one environment variable (`brokers: ${KAFKA_BROKERS}`).
 */
export const listOrCommaSeparated = (itemProblem: (item: string) => string | undefined, expected: string) => {
  const list = Schema.Array(Schema.String.check(rule<string>(itemProblem))).check(
    Schema.isMinLength(1, { expected: `at least one entry: ${expected}` })
  )
  const joined = Schema.String.check(
    rule<string>((value) => {
      const items = splitList(value)
      if (items.length === 0) return `expected at least one entry: ${expected}`
      for (const item of items) {
        const problem = itemProblem(item)
        if (problem !== undefined) return problem
      }
      return undefined
    })
  )
  return Schema.Union([list, joined])
    .annotate({ expected: `${expected}, as a list or one comma-separated string` })
    .pipe(
      Schema.decodeTo(
        Schema.Array(Schema.String),
        SchemaTransformation.transform<ReadonlyArray<string>, ReadonlyArray<string> | string>({
          decode: (value) => (typeof value === "string" ? splitList(value) : value),
          encode: (value) => value
        })
      )
    )
}
