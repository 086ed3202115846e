/**
 * Error text that we publish (results, DLQ records) or log must never carry credentials
 * or connection strings. Adapters already write their own messages, but driver errors
 * sometimes echo a URL, a password or a response body; this is the last line of defence,
 * applied to every message the engine records and every string a log line carries. Unlike
 * the original gateway (which replaced every message with one constant sentence), it keeps
 * what an operator needs: the reason, status codes, table and topic names.
 *
 * Removed: URLs with credentials and data-store connection strings (whole); `Bearer …` /
 * `Basic …`; JSON Web Tokens; the value of every `name=value`, `name: value` and
 * `"name": value` whose name names a secret by the same rule as structured redaction
 * (domain/secretNames.ts: `clientSecret=…`, `"accessToken": "…"`, `X-Authorization: …`),
 * a JSON object or array value whole; and the exact secret values it is given, but only as
 * whole tokens and only values of at least 8 characters, so a short password cannot rewrite
 * ordinary words (with a password `postgres`, "postgresql" stays "postgresql", and its
 * masking would otherwise tell the password away).
 */
import { isSecretName } from "./secretNames.ts"

const MAX_LENGTH = 500
/** shorter values are not masked by value: they would match ordinary words (names still mask them) */
export const MIN_SECRET_VALUE_LENGTH = 8

/** scheme://anything-up-to-whitespace, e.g. postgres://user:pw@host/db, amqp://…, https://… */
const URL_WITH_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@'"]*@[^\s'"]*/gi
/** connection strings and URLs of data stores: dropped whole, they name hosts and users */
const DATASTORE_URL =
  /\b(?:postgres(?:ql)?|mysql|mariadb|redis|rediss|amqps?|mqtts?|nats|tls|mongodb(?:\+srv)?):\/\/[^\s'"]*/gi
/** Authorization schemes */
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g
/** JSON Web Tokens */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g
/** a name is at most six words (prose says "api key: …"; the rule reads the last words) of these characters */
const MAX_NAME_WORDS = 6
const MAX_NAME_LENGTH = 128
const NAME_CHAR = /[\w.-]/
const NAME_START = /[A-Za-z_]/
const SEPARATOR = /[=:]/g
const BARE_VALUE_END = /[\s,;&}\]"']/
const NOT_WORD = "(?<![\\p{L}\\p{N}_])"
const NOT_WORD_AFTER = "(?![\\p{L}\\p{N}_])"

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Where the value starting at `start` ends: a quoted string, a bracketed JSON value, or a bare word. */
const valueEnd = (text: string, start: number): number => {
  const open = text[start]
  if (open === '"' || open === "'") {
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === "\\") i++
      else if (text[i] === open) return i + 1
    }
    return text.length
  }
  if (open === "{" || open === "[") {
    let depth = 0
    let quoted = false
    for (let i = start; i < text.length; i++) {
      const c = text[i]
      if (quoted) {
        if (c === "\\") i++
        else if (c === '"') quoted = false
      } else if (c === '"') quoted = true
      else if (c === "{" || c === "[") depth++
      else if ((c === "}" || c === "]") && --depth === 0) return i + 1
    }
    return text.length
  }
  let i = start
  while (i < text.length && !BARE_VALUE_END.test(text[i] as string)) i++
  return i
}

/**
 * The name written just before the `=` or `:` at `at`: a quoted one as JSON writes it
 * (`"access token": …`), or up to six bare words (`api key: …`, `refreshToken=…`), the first
 * starting with a letter or `_`. Read backwards from the separator, so text is scanned once.
 */
const nameBefore = (text: string, at: number): string | undefined => {
  let end = at
  while (end > 0 && (text[end - 1] === " " || text[end - 1] === "\t")) end--
  const quote = text[end - 1]
  if (quote === '"' || quote === "'") {
    for (let i = end - 2; i >= 0 && end - 2 - i < MAX_NAME_LENGTH; i--) {
      const c = text[i]
      if (c === quote) return i === end - 2 ? undefined : text.slice(i + 1, end - 1)
      if (c === "\\" || c === "\n") return undefined
    }
    return undefined
  }
  let start = end
  let words = 0
  while (words < MAX_NAME_WORDS) {
    let i = start
    while (i > 0 && end - i < MAX_NAME_LENGTH && NAME_CHAR.test(text[i - 1] as string)) i--
    if (i === start) break
    start = i
    words++
    if (start < 2 || text[start - 1] !== " " || !NAME_CHAR.test(text[start - 2] as string)) break
    start--
  }
  if (text[start] === " ") start++
  // the name starts at its first word that starts like a name
  while (start < end && !NAME_START.test(text[start] as string)) {
    const space = text.indexOf(" ", start)
    start = space < 0 || space >= end ? end : space + 1
  }
  return start < end ? text.slice(start, end) : undefined
}

/** Masks the value of every assignment whose name is a secret name. */
const maskAssignments = (text: string, isSecret: (name: string) => boolean): string => {
  let out = ""
  let copied = 0
  SEPARATOR.lastIndex = 0
  for (let m = SEPARATOR.exec(text); m !== null; m = SEPARATOR.exec(text)) {
    const name = nameBefore(text, m.index)
    if (name === undefined || !isSecret(name)) continue
    let start = m.index + 1
    while (text[start] === " " || text[start] === "\t") start++
    const end = valueEnd(text, start)
    if (end === start) continue
    const quote = text[start] === '"' || text[start] === "'" ? (text[start] as string) : ""
    out += `${text.slice(copied, start)}${quote}[REDACTED]${quote}`
    copied = end
    SEPARATOR.lastIndex = end
  }
  return copied === 0 ? text : out + text.slice(copied)
}

export type Sanitizer = (message: string) => string

/**
 * Builds a sanitizer that, on top of the generic patterns, removes the exact secret values
 * it is given (the passwords and tokens of the loaded connections), so even a driver that
 * echoes a password verbatim cannot leak it. Built once at startup, not per message.
 */
export const makeSanitizer = (secrets: ReadonlyArray<string> = []): Sanitizer => {
  const exact = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_VALUE_LENGTH)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
  const exactPattern =
    exact.length > 0 ? new RegExp(`${NOT_WORD}(?:${exact.join("|")})${NOT_WORD_AFTER}`, "gu") : undefined
  // names repeat (the same drivers say the same things): remember the verdicts, boundedly
  const verdicts = new Map<string, boolean>()
  const isSecret = (name: string): boolean => {
    let verdict = verdicts.get(name)
    if (verdict === undefined) {
      verdict = isSecretName(name)
      if (verdicts.size < 10_000) verdicts.set(name, verdict)
    }
    return verdict
  }
  return (message) => {
    let out = message
    if (exactPattern !== undefined) out = out.replace(exactPattern, "[REDACTED]")
    out = maskAssignments(
      out
        .replace(URL_WITH_CREDENTIALS, "[REDACTED-URL]")
        .replace(DATASTORE_URL, "[REDACTED-URL]")
        .replace(BEARER, "$1 [REDACTED]")
        .replace(JWT, "[REDACTED-JWT]"),
      isSecret
    ).replace(/[\r\n\t]+/g, " ")
    return out.length > MAX_LENGTH ? `${out.slice(0, MAX_LENGTH)}…` : out
  }
}

export const sanitizeMessage: Sanitizer = makeSanitizer()
