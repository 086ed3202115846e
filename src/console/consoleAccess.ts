/**
 * Who may use the operator console. It shows dead letters (redacted, but still business
 * data) and starts replays, so it is never reachable from the network unprotected:
 *   - bound to loopback without a token: open (anyone on the machine can use it, replay
 *     included; the same people can run `hookstream replay`)
 *   - a token configured: every request other than the page itself (its HTML and static
 *     files), reads included, needs `Authorization: Bearer <token>`; which request is which is
 *     decided on the route the router matched (consoleApp.ts), not on how the URL is spelled
 *   - any other interface without a token: disabled, and the log says why
 * Pure.
 */
import { createHash, timingSafeEqual } from "node:crypto"

export type ConsoleAccess =
  | { readonly _tag: "Open" }
  | { readonly _tag: "Token"; readonly token: string }
  | { readonly _tag: "Disabled"; readonly reason: string }

/** Whether `host` (an address to bind or a host name) only accepts connections from this machine. */
export const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase()
  return h === "localhost" || h === "::1" || /^127(?:\.\d{1,3}){3}$/.test(h) || /^::ffff:127(?:\.\d{1,3}){3}$/.test(h)
}

export const consoleAccess = (options: {
  readonly enabled: boolean
  readonly host: string
  readonly token: string | undefined
}): ConsoleAccess => {
  if (!options.enabled) return { _tag: "Disabled", reason: "turned off (--console=false / HOOKSTREAM_CONSOLE=false)" }
  const token = options.token?.trim()
  if (token !== undefined && token !== "") return { _tag: "Token", token }
  if (isLoopback(options.host)) return { _tag: "Open" }
  return {
    _tag: "Disabled",
    reason: `listening on ${options.host}, not loopback, and no token: set HOOKSTREAM_CONSOLE_TOKEN (--console-token) or bind to 127.0.0.1`
  }
}

/**
 * Whether a request's Host header names this machine. An open console (loopback, no token) is
 * reachable from any web page through DNS rebinding: the page's own name re-resolves to
 * 127.0.0.1, so its requests are same-origin with itself and carry its name as Host. Requests
 * to an open console must therefore name a loopback host; a token makes this moot.
 */
export const hostAllowed = (access: ConsoleAccess, host: string | undefined): boolean => {
  if (access._tag !== "Open") return true
  if (host === undefined) return false
  // "name:port", "[v6]:port", "name", "[v6]"
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host.trim())
  return m !== null && isLoopback(m[1] ?? "")
}

const digest = (text: string) => createHash("sha256").update(text).digest()

/** Whether an Authorization header carries the token (constant time, whatever the lengths). */
export const authorized = (access: ConsoleAccess, authorization: string | undefined): boolean => {
  if (access._tag === "Open") return true
  if (access._tag === "Disabled") return false
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")
  return timingSafeEqual(digest(m?.[1] ?? ""), digest(access.token)) && m !== null
}
