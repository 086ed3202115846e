/**
 * Wire timestamps: RFC 3339 strings (`2026-01-31T12:00:00.123Z`), as producers, consumers
 * and `jq` scripts expect, never epoch numbers.
 */
import { Schema } from "effect"

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/

/** Shape and calendar check (`2026-02-30T00:00:00Z` is rejected). */
export const isRfc3339 = (value: string): boolean => {
  if (!RFC_3339.test(value)) return false
  const parsed = new Date(value.replace(/(\.\d{3})\d+/, "$1"))
  if (Number.isNaN(parsed.getTime())) return false
  // Date normalises 02-30 to 03-02; compare the calendar date it kept with the one written
  const [year, month, day] = value.slice(0, 10).split("-").map(Number)
  const utc = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0))
  return utc.getUTCFullYear() === year && utc.getUTCMonth() + 1 === month && utc.getUTCDate() === day
}

export const Rfc3339 = Schema.String.annotate({ format: "date-time" }).check(
  Schema.makeFilter((value: string) => isRfc3339(value), {
    expected: "an RFC 3339 timestamp such as 2026-01-31T12:00:00Z"
  })
)

let lastMillis = Number.NaN
let lastText = ""

/**
 * Epoch milliseconds → RFC 3339 in UTC with milliseconds. The last conversion is kept: a busy
 * processor stamps many outcomes (each twice) within the same millisecond.
 */
export const toRfc3339 = (epochMillis: number): string => {
  if (epochMillis !== lastMillis) {
    lastText = new Date(epochMillis).toISOString()
    lastMillis = epochMillis
  }
  return lastText
}
