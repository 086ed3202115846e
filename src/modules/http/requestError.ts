/**
 * Failures of the exchange itself (no HTTP status) mapped once to `DestinationError`:
 * refused/reset/unreachable and DNS failures can pass (`unreachable`), timeouts are
 * `timeout`, the SSRF guard's refusal is `blocked`, TLS failures are `misconfigured` (a bad
 * certificate does not fix itself within a retry budget). Messages name the origin and the
 * error code, never the path, query or body (webhook URLs often carry tokens in the path).
 */
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { SsrfRefused } from "./ssrfGuard.ts"

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED"
])
const TIMEOUT = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"])

interface Coded {
  readonly code?: unknown
  readonly cause?: unknown
  readonly errors?: unknown
}

/** Every error in the chain: the error, its causes, an AggregateError's members (Happy Eyeballs). */
const chain = (error: unknown): Array<unknown> => {
  const out: Array<unknown> = []
  const visit = (e: unknown, depth: number) => {
    if (depth > 5 || e === null || typeof e !== "object" || out.includes(e)) return
    out.push(e)
    const coded = e as Coded
    visit(coded.cause, depth + 1)
    if (Array.isArray(coded.errors)) for (const member of coded.errors) visit(member, depth + 1)
  }
  visit(error, 0)
  return out
}

const codeOf = (e: unknown): string | undefined => {
  const code = (e as Coded).code
  return typeof code === "string" ? code : undefined
}

export const requestError = (error: unknown, target: string): DestinationError => {
  const errors = chain(error)
  const refused = errors.find((e): e is SsrfRefused => e instanceof SsrfRefused)
  if (refused !== undefined) return destinationError("blocked", `${target}: ${refused.message}`)
  const codes = errors.map(codeOf).filter((code): code is string => code !== undefined)
  const timedOut = codes.find((code) => TIMEOUT.has(code))
  if (timedOut !== undefined) return destinationError("timeout", `${target}: timed out (${timedOut})`)
  const unreachable = codes.find((code) => UNREACHABLE.has(code))
  if (unreachable !== undefined) return destinationError("unreachable", `${target}: unreachable (${unreachable})`)
  const tls = codes.find((code) => code.startsWith("ERR_TLS") || code.includes("CERT") || code.startsWith("ERR_SSL"))
  if (tls !== undefined) return destinationError("misconfigured", `${target}: TLS failed (${tls})`)
  const name = error instanceof Error ? error.name : "error"
  return destinationError("unknown", `${target}: request failed (${codes[0] ?? name})`)
}
