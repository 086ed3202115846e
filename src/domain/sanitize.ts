/**
 * Error text that we publish (results, DLQ records) or log must never carry credentials
 * or connection strings. Adapters already write their own messages, but driver errors
 * sometimes echo a URL or a password; this is the last line of defence, applied to every
 * message the engine records. Unlike the original gateway (which replaced every message
 * with one constant sentence), it keeps what an operator needs: the reason, status codes,
 * table and topic names.
 */

const MAX_LENGTH = 500

/** scheme://anything-up-to-whitespace, e.g. postgres://user:pw@host/db, amqp://…, https://… */
const URL_WITH_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@'"]*@[^\s'"]*/gi
/** connection strings and URLs of data stores: dropped whole, they name hosts and users */
const DATASTORE_URL =
  /\b(?:postgres(?:ql)?|mysql|mariadb|redis|rediss|amqps?|mqtts?|nats|tls|mongodb(?:\+srv)?):\/\/[^\s'"]*/gi
/** key=value / key: value pairs whose key names a secret */
const SECRET_ASSIGNMENT =
  /\b((?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|authorization|auth)[\w-]*)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s,;&]+)/gi
/** Authorization schemes */
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g
/** JSON Web Tokens */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

export type Sanitizer = (message: string) => string

/**
 * Builds a sanitizer that, on top of the generic patterns, removes the exact secret values
 * it is given (the passwords and tokens of the loaded connections), so even a driver that
 * echoes a password verbatim cannot leak it. Built once at startup, not per message.
 */
export const makeSanitizer = (secrets: ReadonlyArray<string> = []): Sanitizer => {
  const exact = secrets
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
  const exactPattern = exact.length > 0 ? new RegExp(exact.join("|"), "g") : undefined
  return (message) => {
    let out = message
    if (exactPattern !== undefined) out = out.replace(exactPattern, "[REDACTED]")
    out = out
      .replace(URL_WITH_CREDENTIALS, "[REDACTED-URL]")
      .replace(DATASTORE_URL, "[REDACTED-URL]")
      .replace(BEARER, "$1 [REDACTED]")
      .replace(SECRET_ASSIGNMENT, "$1=[REDACTED]")
      .replace(JWT, "[REDACTED-JWT]")
      .replace(/[\r\n\t]+/g, " ")
    return out.length > MAX_LENGTH ? `${out.slice(0, MAX_LENGTH)}…` : out
  }
}

export const sanitizeMessage: Sanitizer = makeSanitizer()
