/**
 * Maps what `pg` throws to a DestinationError, once. Messages are built from the SQLSTATE
 * and the identifiers the server names (table, column, constraint), never from the
 * server's text: PostgreSQL quotes the offending value in many messages
 * (`invalid input syntax for type integer: "…"`, `Key (x)=(…) already exists`).
 */
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { sanitizeMessage } from "../../domain/sanitize.ts"

/** socket-level failures: the server was not there or the connection broke */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNABORTED"
])

const field = (error: unknown, key: string): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const value = (error as Record<string, unknown>)[key]
  return typeof value === "string" && value !== "" ? value : undefined
}

const where = (error: unknown, table: string): string => {
  const column = field(error, "column")
  const constraint = field(error, "constraint")
  return [
    ` on table ${field(error, "table") ?? table}`,
    column === undefined ? "" : ` column ${column}`,
    constraint === undefined ? "" : ` constraint ${constraint}`
  ].join("")
}

export const postgresqlError = (error: unknown, table: string): DestinationError => {
  const code = field(error, "code")
  const message = error instanceof Error ? error.message : String(error)
  const say = (text: string) => sanitizeMessage(`postgresql: ${text}`)
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return destinationError(code === "ETIMEDOUT" ? "timeout" : "unreachable", say(`cannot reach the server (${code})`))
  }
  // pg's own connection errors carry no code
  if (code === undefined) {
    if (/timeout/i.test(message)) return destinationError("timeout", say("timed out connecting to the server"))
    if (/connection terminated|connection ended|not queryable|socket/i.test(message)) {
      return destinationError("unreachable", say("the connection to the server was lost"))
    }
    return destinationError(
      "unknown",
      say(`unexpected driver error (${error instanceof Error ? error.name : typeof error})`)
    )
  }
  const state = `SQLSTATE ${code}`
  const klass = code.slice(0, 2)
  if (code === "28P01" || code === "28000") {
    return destinationError("unauthorized", say(`authentication failed (${state})`))
  }
  if (code === "42501")
    return destinationError("unauthorized", say(`permission denied${where(error, table)} (${state})`))
  if (klass === "08") return destinationError("unreachable", say(`connection failure (${state})`))
  if (code === "57014") return destinationError("timeout", say(`statement cancelled or timed out (${state})`))
  if (klass === "57" || klass === "53" || klass === "40" || code === "55P03" || code === "55006" || code === "25006") {
    // shutdown, too many connections, out of resources, deadlock/serialization, lock not
    // available, read-only (a failover in progress): the same row may succeed later
    return destinationError("unavailable", say(`server temporarily unable (${state})`))
  }
  if (klass === "23") return destinationError("rejected", say(`constraint violation${where(error, table)} (${state})`))
  if (klass === "22") {
    return destinationError("invalid_payload", say(`value not accepted${where(error, table)} (${state})`))
  }
  if (code === "42P01") return destinationError("misconfigured", say(`table ${table} does not exist (${state})`))
  if (code === "42P10") {
    return destinationError(
      "misconfigured",
      say(`table ${table} has no unique constraint on the conflict column (${state})`)
    )
  }
  if (code === "3D000" || code === "3F000") {
    return destinationError("misconfigured", say(`database or schema does not exist (${state})`))
  }
  if (klass === "42") {
    return destinationError(
      "misconfigured",
      say(`table ${table} does not have the shape this mode writes${where(error, table)} (${state})`)
    )
  }
  return destinationError("unknown", say(`server error (${state})`))
}
