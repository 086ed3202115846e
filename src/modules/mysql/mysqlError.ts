/**
 * Maps what `mysql2` throws to a DestinationError, once, by error number (and the client's
 * own codes for socket and protocol failures). Messages carry the error name and number
 * and the table, never the server's text, which quotes the offending value
 * ("Incorrect integer value: '…' for column", "Duplicate entry '…' for key").
 */
import { type DestinationError, type DestinationErrorReason, destinationError } from "../../domain/DestinationError.ts"
import { sanitizeMessage } from "../../domain/sanitize.ts"

const CLIENT_CODES: Readonly<Record<string, DestinationErrorReason>> = {
  ECONNREFUSED: "unreachable",
  ECONNRESET: "unreachable",
  EPIPE: "unreachable",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  ENOTFOUND: "unreachable",
  EAI_AGAIN: "unreachable",
  ETIMEDOUT: "timeout",
  PROTOCOL_CONNECTION_LOST: "unreachable",
  PROTOCOL_SEQUENCE_TIMEOUT: "timeout",
  PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR: "unreachable"
}

/** server errors by number; MariaDB-only numbers are marked */
const SERVER_ERRORS: ReadonlyArray<readonly [DestinationErrorReason, ReadonlyArray<number>]> = [
  // access denied: to the server, a database, a table, a column, an operation
  ["unauthorized", [1044, 1045, 1142, 1143, 1227, 1698]],
  // too many connections, shutdown, killed, lock wait timeout, deadlock, read-only (failover),
  // server gone, out of resources or disk
  ["unavailable", [1040, 1203, 1053, 1927, 1205, 1213, 1290, 1836, 2006, 2013, 1021, 1037, 1038, 1041]],
  // statement interrupted or past max_statement_time (1969 MariaDB) / max_execution_time
  ["timeout", [1317, 1969, 3024]],
  // duplicate key, foreign keys, NOT NULL, CHECK (3819 MySQL, 4025 MariaDB)
  ["rejected", [1062, 1451, 1452, 1216, 1217, 1048, 3819, 4025]],
  // out of range, truncated, incorrect value, too long, invalid JSON
  ["invalid_payload", [1264, 1265, 1292, 1366, 1367, 1406, 1411, 3140, 4038]],
  // no such table/database/column, syntax, a key on a TEXT/JSON column, a column without default
  ["misconfigured", [1146, 1049, 1054, 1064, 1170, 1364, 1071, 1115, 1118]]
]

/** where the reason's general wording would mislead */
const SPECIFIC: Readonly<Record<number, string>> = {
  1049: "the database does not exist",
  1146: "the table does not exist",
  1054: "the table lacks a column this mode writes",
  1170: "a unique key on a TEXT/JSON column: give the upsert key a string or int type",
  1364: "the table has a NOT NULL column without default that this mode does not write"
}

const reasonByErrno = new Map<number, DestinationErrorReason>(
  SERVER_ERRORS.flatMap(([reason, numbers]) => numbers.map((n) => [n, reason] as const))
)

const property = (error: unknown, key: string): unknown =>
  typeof error === "object" && error !== null ? Reflect.get(error, key) : undefined

export const mysqlErrno = (error: unknown): number | undefined => {
  const errno = property(error, "errno")
  return typeof errno === "number" && errno > 0 ? errno : undefined
}

export const mysqlError = (error: unknown, table: string): DestinationError => {
  const code = property(error, "code")
  const errno = mysqlErrno(error)
  const say = (text: string) => sanitizeMessage(`mysql: ${text}`)
  if (typeof code === "string" && CLIENT_CODES[code] !== undefined) {
    return destinationError(CLIENT_CODES[code], say(`cannot reach the server or lost the connection (${code})`))
  }
  if (errno !== undefined && errno >= 1000) {
    const name = typeof code === "string" ? `${code} ` : ""
    const reason = reasonByErrno.get(errno) ?? "unknown"
    const what: Readonly<Record<DestinationErrorReason, string>> = {
      unauthorized: "access denied",
      unavailable: "server temporarily unable",
      timeout: "statement interrupted or timed out",
      rejected: `constraint violation on table ${table}`,
      invalid_payload: `value not accepted by table ${table}`,
      misconfigured: `table ${table} does not have the shape this mode writes`,
      unreachable: "cannot reach the server",
      throttled: "throttled",
      blocked: "blocked",
      unknown: "server error"
    }
    const specific = SPECIFIC[errno]
    return destinationError(reason, say(`${specific ?? what[reason]} (${name}${errno})`))
  }
  const message = error instanceof Error ? error.message : ""
  if (/pool is closed/i.test(message)) return destinationError("unavailable", say("the pool is closed"))
  if (/timeout/i.test(message)) return destinationError("timeout", say("timed out talking to the server"))
  return destinationError(
    "unknown",
    say(`unexpected driver error (${error instanceof Error ? error.name : typeof error})`)
  )
}
