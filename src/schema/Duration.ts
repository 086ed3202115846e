/**
 * Durations in config files: a number means seconds (`30`, `0.25`), a string carries its
 * unit (`250ms`, `5s`, `2m`, `1h`, `1.5s`). Decoded to milliseconds; bounds are checked on
 * what the user wrote, so messages quote it back ("at most 15m, got '20m'").
 */
import { Schema, SchemaTransformation } from "effect"
import { rule } from "./Checks.ts"

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/

/** Milliseconds, or `undefined` when `input` is not a duration. */
export const parseDuration = (input: unknown): number | undefined => {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? Math.round(input * 1000) : undefined
  if (typeof input !== "string") return undefined
  const match = DURATION.exec(input.trim())
  if (match === null) return undefined
  // no unit means seconds, as an unquoted number would (values from ${VAR} are always strings)
  const unit = (match[2] ?? "s") as keyof typeof UNIT_MS
  return Math.round(Number(match[1]) * UNIT_MS[unit])
}

/** The shortest exact rendering: `250ms`, `5s`, `1.5s`, `2m`, `1h`. */
export const formatDuration = (ms: number): string => {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms >= 1_000 && ms % 100 === 0) return `${ms / 1_000}s`
  return `${ms}ms`
}

export interface DurationOptions {
  /** for the generated JSON Schema and help */
  readonly description?: string
  /** milliseconds, inclusive (default 0) */
  readonly min?: number
  /** milliseconds, inclusive */
  readonly max?: number
}

const EXPECTED = "a duration: seconds as a number, or a string such as 250ms, 5s, 2m"

const boundsMessage = (ms: number, written: string, bounds: DurationOptions): string | undefined => {
  if (bounds.min !== undefined && ms < bounds.min) {
    return `expected a duration of at least ${formatDuration(bounds.min)}, got ${written}`
  }
  if (bounds.max !== undefined && ms > bounds.max) {
    return `expected a duration of at most ${formatDuration(bounds.max)}, got ${written}`
  }
  return undefined
}

/** A duration field decoding to milliseconds, within `bounds`. */
export const Duration = (bounds: DurationOptions = {}) => {
  const seconds = Schema.Finite.check(
    rule<number>(
      (n) =>
        n < 0
          ? `expected a non-negative duration, got ${n}`
          : boundsMessage(Math.round(n * 1000), `${n} (seconds)`, bounds),
      {
        jsonSchema: {
          minimum: (bounds.min ?? 0) / 1000,
          ...(bounds.max === undefined ? {} : { maximum: bounds.max / 1000 })
        }
      }
    )
  )
  const withUnit = Schema.String.check(
    rule<string>(
      (s) => {
        const ms = parseDuration(s)
        return ms === undefined
          ? `expected a duration such as 250ms, 5s or 2m (a bare number means seconds), got '${s}'`
          : boundsMessage(ms, `'${s}'`, bounds)
      },
      { jsonSchema: { pattern: DURATION.source } }
    )
  )
  return Schema.Union([seconds, withUnit])
    .annotate({ expected: EXPECTED, ...(bounds.description === undefined ? {} : { description: bounds.description }) })
    .pipe(
      Schema.decodeTo(
        Schema.Finite,
        SchemaTransformation.transform<number, number | string>({
          decode: (input: number | string) => parseDuration(input) ?? 0,
          encode: (ms: number) => formatDuration(ms)
        })
      )
    )
}
