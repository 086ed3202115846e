/**
 * The SSRF guard: decides whether a step may connect to a host, and supplies the `lookup`
 * that the HTTP client's sockets use, so the addresses it checks are the addresses it
 * connects to (no second resolution, hence no DNS rebinding between check and connect).
 *
 * Refused unless the step's `allowed_hosts` opens them: loopback, private, CGNAT, link-local,
 * unique local, multicast, reserved, unspecified addresses (in any IPv4-in-IPv6 form), the
 * cloud metadata endpoints, `localhost` and `*.localhost`. An `allowed_hosts` entry opens
 * exactly what it lists: a host name entry opens that name whatever it resolves to, except
 * metadata addresses, which only an IP or CIDR entry covering them opens (so calling
 * `metadata.google.internal` takes both the name and 169.254.169.254); an IP/CIDR entry opens
 * those addresses. Odd IPv4 spellings (2130706433, 0177.0.0.1, 0x7f.1, 127.1) never
 * reach here as such: the URL parser normalises them to dotted quads first, and anything
 * numeric that is still not an IP is refused rather than handed to a resolver.
 */
import type { LookupAddress, LookupOptions } from "node:dns"
import { lookup as dnsLookup } from "node:dns/promises"
import { isIP } from "node:net"
import { hostAllowed } from "../../schema/HostAllowlist.ts"
import { type AddressVerdict, addressVerdict, METADATA_HOSTS } from "./addressVerdict.ts"

/** Resolves a host name to every address it has; tests inject one, production uses getaddrinfo. */
export type Resolver = (hostname: string) => Promise<ReadonlyArray<LookupAddress>>

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, order: "verbatim" })

/** Raised inside the socket's lookup, so undici fails the request with it; mapped to `blocked`. */
export class SsrfRefused extends Error {
  override readonly name = "SsrfRefused"
  readonly code = "ERR_HOOKSTREAM_SSRF"
}

const normaliseHost = (host: string): string =>
  host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")

const nameVerdict = (host: string): AddressVerdict | "numeric" | undefined => {
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback"
  if (METADATA_HOSTS.has(host)) return "metadata"
  // every label numeric or hex-ish but not a valid IP: an odd spelling a resolver might accept
  if (isIP(host) === 0 && /^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+))*$/.test(host)) return "numeric"
  return undefined
}

/**
 * Why `host` may not be called before any DNS (`undefined` when it may be resolved, or, for an
 * IP literal, when it may be connected to).
 */
export const hostRefusal = (rawHost: string, allowed: ReadonlyArray<string>): string | undefined => {
  const host = normaliseHost(rawHost)
  if (isIP(host) !== 0) return addressRefusal(host, host, allowed)
  const verdict = nameVerdict(host)
  if (verdict === undefined) return undefined
  if (verdict !== "numeric" && hostAllowed(host, allowed)) return undefined
  return verdict === "numeric"
    ? `host '${host}' is a numeric name that is not an IP address`
    : `host '${host}' is a ${verdict} name (list it in allowed_hosts to call it)`
}

/** Why the step may not connect to `address`, which `host` resolved to, or `undefined`. */
export const addressRefusal = (
  rawHost: string,
  address: string,
  allowed: ReadonlyArray<string>
): string | undefined => {
  const verdict = addressVerdict(address)
  if (verdict === undefined) return undefined
  if (hostAllowed(address, allowed)) return undefined
  const host = normaliseHost(rawHost)
  if (verdict !== "metadata" && isIP(host) === 0 && hostAllowed(host, allowed)) return undefined
  const via = host === address ? "" : ` (resolved from '${host}')`
  return `address ${address}${via} is ${verdict === "metadata" ? "a cloud metadata endpoint" : verdict}; list it in allowed_hosts to call it`
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | Array<LookupAddress>,
  family?: number
) => void

/**
 * A `net.connect` lookup that resolves once, refuses the host if ANY of its addresses is
 * refused (a name mixing public and private answers is a rebinding attempt, not a fallback),
 * and hands the checked addresses to the socket.
 */
export const guardedLookup =
  (allowed: ReadonlyArray<string>, resolve: Resolver) =>
  (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const refusedName = hostRefusal(hostname, allowed)
    if (refusedName !== undefined) {
      callback(new SsrfRefused(refusedName), "")
      return
    }
    resolve(hostname).then(
      (all) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined
        const addresses = family === undefined ? [...all] : all.filter((a) => a.family === family)
        for (const { address } of all) {
          const refused = addressRefusal(hostname, address, allowed)
          if (refused !== undefined) {
            callback(new SsrfRefused(refused), "")
            return
          }
        }
        const first = addresses[0]
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`no address for '${hostname}'`)
          error.code = "ENOTFOUND"
          callback(error, "")
          return
        }
        if (options.all === true) callback(null, addresses)
        else callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, "")
    )
  }
