/**
 * Redaction for everything hookstream prints or publishes (logs, result and DLQ records,
 * the console). A key is secret when its normalised name is in an exact list, or matches
 * one of a few explicit, anchored patterns (`*_password`, `*-token`, `x-*-key`…). The
 * original gateway matched substrings (`key`, `auth`, `token` anywhere), which masked
 * business fields like `author`, `keywords` or `monkey`; here those survive.
 *
 * Copy-on-write: a value with nothing to redact is returned as is (same reference), and a
 * redacted one shares every untouched subtree with the input. Nothing is deep-copied and
 * the input is never mutated.
 */

export const REDACTED = "***REDACTED***"

const DEFAULT_FIELDS = [
  "password",
  "passwd",
  "pwd",
  "pass",
  "secret",
  "token",
  "api_key",
  "apikey",
  "access_token",
  "refresh_token",
  "id_token",
  "auth_token",
  "authorization",
  "proxy_authorization",
  "credential",
  "credentials",
  "private_key",
  "privatekey",
  "client_secret",
  "api_secret",
  "secret_key",
  "access_key",
  "aws_secret_access_key",
  "x_api_key",
  "x_auth_token",
  "x_access_token",
  "session_id",
  "sessionid",
  "session_token",
  "csrf_token",
  "xsrf_token",
  "oauth_token",
  "oauth_secret",
  "consumer_secret",
  "token_secret",
  "cookie",
  "set_cookie",
  "connection_string",
  "database_url",
  "dsn"
]

/** Anchored on whole name segments, so `author`, `keywords`, `tokenizer` are not secrets. */
const DEFAULT_PATTERNS = [
  /(^|_)(password|passwd|secret|token|credentials?)$/,
  /^(password|passwd|secret)_/,
  /(^|_)(api|private|secret|access|signing|encryption)_?key$/,
  /^x_.+_(key|token|secret)$/
]

/** lower-case, `-`, `.` and spaces folded to `_`, trimmed */
const normalise = (key: string): string =>
  key
    .trim()
    .toLowerCase()
    .replace(/[-.\s]+/g, "_")

export interface RedactionConfig {
  /** extra exact field names (matched after normalisation) */
  readonly fields?: ReadonlyArray<string>
  /** extra regular expressions tested against the normalised key */
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
  const exact = new Set([...DEFAULT_FIELDS, ...(config.fields ?? []).map(normalise)])
  const patterns = [...DEFAULT_PATTERNS, ...(config.patterns ?? []).map((p) => new RegExp(p, "i"))]
  const cache = new Map<string, boolean>()
  const isSecretKey = (key: string): boolean => {
    let verdict = cache.get(key)
    if (verdict === undefined) {
      const n = normalise(key)
      verdict = exact.has(n) || patterns.some((p) => p.test(n))
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
