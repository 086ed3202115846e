/**
 * Sizes in config files: a number of bytes (`65536`) or a string with a unit (`512KiB`,
 * `1MiB`, `1MB`). KB/MB are powers of 1000, KiB/MiB powers of 1024, as everywhere else.
 */
import { Schema, SchemaTransformation } from "effect"
import { rule } from "../schema/Checks.ts"

const UNIT_BYTES = { B: 1, KB: 1_000, KiB: 1_024, MB: 1_000_000, MiB: 1_048_576, GB: 1e9, GiB: 1_073_741_824 } as const
const SIZE = /^(\d+(?:\.\d+)?)\s?(B|KB|KiB|MB|MiB|GB|GiB)$/

export const MiB = 1_048_576

/** Bytes, or `undefined` when `input` is not a size. */
export const parseByteSize = (input: unknown): number | undefined => {
  if (typeof input === "number") return Number.isInteger(input) && input >= 0 ? input : undefined
  if (typeof input !== "string") return undefined
  // a bare number in a string means bytes, as it would unquoted (values from ${VAR} are strings)
  if (/^\d+$/.test(input.trim())) return Number(input.trim())
  const match = SIZE.exec(input.trim())
  if (match === null) return undefined
  return Math.floor(Number(match[1]) * UNIT_BYTES[match[2] as keyof typeof UNIT_BYTES])
}

/** `1MiB`, `512KiB`, or plain bytes. */
export const formatByteSize = (bytes: number): string => {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB}MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KiB`
  return `${bytes} bytes`
}

const bounded = (bytes: number, written: string, min: number, max: number): string | undefined =>
  bytes < min
    ? `expected a size of at least ${formatByteSize(min)}, got ${written}`
    : bytes > max
      ? `expected a size of at most ${formatByteSize(max)}, got ${written}`
      : undefined

/** A size field decoding to bytes, between `min` and `max` inclusive. */
export const ByteSize = (min: number, max: number, description?: string) => {
  const bytes = Schema.Int.check(
    rule<number>((n) => bounded(n, `${n} bytes`, min, max), {
      expected: "a whole number of bytes",
      jsonSchema: { minimum: min, maximum: max }
    })
  )
  const withUnit = Schema.String.check(
    rule<string>(
      (s) => {
        const parsed = parseByteSize(s)
        return parsed === undefined
          ? `expected a size such as 512KiB, 1MiB or a number of bytes, got '${s}'`
          : bounded(parsed, `'${s}'`, min, max)
      },
      { jsonSchema: { pattern: "^\\d+(\\.\\d+)?\\s?(B|KB|KiB|MB|MiB|GB|GiB)?$" } }
    )
  )
  return Schema.Union([bytes, withUnit])
    .annotate({
      expected: "a size: a number of bytes, or a string such as 512KiB or 1MiB",
      ...(description === undefined ? {} : { description })
    })
    .pipe(
      Schema.decodeTo(
        Schema.Int,
        SchemaTransformation.transform<number, number | string>({
          decode: (input: number | string) => parseByteSize(input) ?? 0,
          encode: (n: number) => n
        })
      )
    )
}
