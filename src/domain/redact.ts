/**
 * Redaction of structured data for everything hookstream prints or shows (log fields, the log
 * step's payload and headers, the console's record view): a value whose key names a secret is
 * replaced whole. Which keys name one is domain/secretNames.ts, the same rule the text
 * sanitizer (domain/sanitize.ts) applies to `name=value` in error text and log lines, so every
 * output path agrees. Case and separators do not matter (`clientSecret`, `CLIENT_SECRET`,
 * `X-Client-Secret`); whole words do, so `author`, `keywords` or `token_count` survive. A
 * stream adds names of its own (`redaction.fields`, compared the same way) and patterns.
 *
 * Copy-on-write: a value with nothing to redact is returned as is (same reference), and a
 * redacted one shares every untouched subtree with the input. Nothing is deep-copied and
 * the input is never mutated.
 */
import { compactName, isSecretName, snakeName } from "./secretNames.ts"

export const REDACTED = "***REDACTED***"

export interface RedactionConfig {
  /** extra field names, compared without case or separators (`card-number` also masks `cardNumber`) */
  readonly fields?: ReadonlyArray<string>
  /** extra regular expressions (case-insensitive), tested against the key as written and as `snake_case` words */
  readonly patterns?: ReadonlyArray<string>
}

export interface Redactor {
  isSecretKey(key: string): boolean
  /** redacts nested objects and arrays; primitives are returned unchanged */
  redact<T>(value: T): T
  redactHeaders(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>>
}

const MAX_DEPTH = 64

export const makeRedactor = (config: RedactionConfig = {}): Redactor => {
  const fields = new Set((config.fields ?? []).map(compactName).filter((name) => name !== ""))
  const patterns = (config.patterns ?? []).map((p) => new RegExp(p, "i"))
  const cache = new Map<string, boolean>()
  const isSecretKey = (key: string): boolean => {
    let verdict = cache.get(key)
    if (verdict === undefined) {
      verdict =
        isSecretName(key) ||
        (fields.size > 0 && fields.has(compactName(key))) ||
        (patterns.length > 0 && patterns.some((p) => p.test(key) || p.test(snakeName(key))))
      // bounded: payload keys are attacker-controlled
      if (cache.size < 10_000) cache.set(key, verdict)
    }
    return verdict
  }

  const walk = (value: unknown, depth: number, seen: Set<object>): unknown => {
    if (value === null || typeof value !== "object") return value
    if (seen.has(value)) return "[Circular]"
    if (depth >= MAX_DEPTH) return "[Truncated]"
    seen.add(value)
    try {
      if (Array.isArray(value)) {
        let out: Array<unknown> | undefined
        for (let i = 0; i < value.length; i++) {
          const v = walk(value[i], depth + 1, seen)
          if (v !== value[i]) {
            out ??= value.slice()
            out[i] = v
          }
        }
        return out ?? value
      }
      let out: Record<string, unknown> | undefined
      const record = value as Record<string, unknown>
      for (const key of Object.keys(record)) {
        const current = record[key]
        const next = isSecretKey(key) ? REDACTED : walk(current, depth + 1, seen)
        if (next !== current) {
          out ??= { ...record }
          out[key] = next
        }
      }
      return out ?? value
    } finally {
      seen.delete(value)
    }
  }

  return {
    isSecretKey,
    redact: <T>(value: T): T => walk(value, 0, new Set()) as T,
    redactHeaders: (headers) => {
      let out: Record<string, string> | undefined
      for (const key of Object.keys(headers)) {
        if (isSecretKey(key)) {
          out ??= { ...headers }
          out[key] = REDACTED
        }
      }
      return out ?? headers
    }
  }
}

export const defaultRedactor: Redactor = makeRedactor()

/** The redactor for a stream: the built-in names plus its `redaction` fields and patterns. */
export const streamRedactor = (redaction: RedactionConfig): Redactor =>
  (redaction.fields ?? []).length === 0 && (redaction.patterns ?? []).length === 0
    ? defaultRedactor
    : makeRedactor(redaction)
