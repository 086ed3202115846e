/**
 * Wire timestamps: RFC 3339 strings (`2026-01-31T12:00:00.123Z`), as producers, consumers
 * and `jq` scripts expect, never epoch numbers.
 */
import { Schema } from "effect"

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** The decimal number in `value[from, from + length)`; the caller has matched the digits. */
const digits = (value: string, from: number, length: number): number => {
  let n = 0
  for (let i = from; i < from + length; i++) n = n * 10 + value.charCodeAt(i) - 48
  return n
}

/**
 * Shape and calendar check (`2026-02-30T00:00:00Z` and `T24:00:00Z` are rejected, as is a
 * leap second, which JavaScript dates cannot hold). Field arithmetic rather than a Date
 * round trip: every event's `received_at` goes through here.
 */
export const isRfc3339 = (value: string): boolean => {
  if (!RFC_3339.test(value)) return false
  const year = digits(value, 0, 4)
  const month = digits(value, 5, 2)
  const day = digits(value, 8, 2)
  if (month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return false
  if (digits(value, 11, 2) > 23 || digits(value, 14, 2) > 59 || digits(value, 17, 2) > 59) return false
  const zone = value.charCodeAt(value.length - 6)
  // a numeric offset: ±hh:mm
  if (zone === 43 || zone === 45) {
    if (digits(value, value.length - 5, 2) > 23 || digits(value, value.length - 2, 2) > 59) return false
  }
  return true
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
