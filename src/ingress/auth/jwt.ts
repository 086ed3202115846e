/**
 * `auth.jwt`: the token in `Authorization: Bearer`, verified with jose against the stream's
 * algorithms (never `none`: jose's jwtVerify accepts only signed tokens), issuer, audience,
 * `exp`/`nbf` within the clock tolerance, and the required claims. Keys are decoded once.
 *
 * A JWKS is fetched through the SSRF guard's lookup (the addresses checked are the ones
 * connected to; redirects are not followed), cached for `jwks_cache`, and fetched again when a
 * token names a kid it lacks, at most once per `jwks_cooldown` (jose's remote set). A JWKS that
 * cannot be fetched is not the sender's fault: the verdict is `unavailable` (503), not `fail`.
 */
import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto"
import { Redacted } from "effect"
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify
} from "jose"
import { Agent, fetch as undiciFetch } from "undici"
import type { JwtAuthConfig } from "../../config/JwtAuth.ts"
import { guardedLookup, type Resolver, systemResolver } from "../../modules/http/ssrfGuard.ts"

export type JwtVerdict = "pass" | "fail" | "unavailable"
export type JwtCheck = (authorization: string | undefined) => Promise<JwtVerdict>

const BEARER = /^Bearer[ \t]+([A-Za-z0-9_.~+/=-]+)[ \t]*$/i

/** A JWKS fetch through the SSRF guard: the http destination's rules, with this stream's allowed_hosts. */
const guardedFetch = (allowed: ReadonlyArray<string>, resolve: Resolver): FetchImplementation => {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(allowed, resolve) } })
  // undici's Response is the platform's at run time; only the declared types differ
  return (url, init) =>
    undiciFetch(url, {
      method: init.method,
      headers: Object.fromEntries(init.headers),
      redirect: init.redirect,
      signal: init.signal,
      dispatcher
    }) as unknown as Promise<Response>
}

/** Errors of getting the key set (network, timeout, not a JWKS), as opposed to the token's own. */
const isFetchFailure = (error: unknown): boolean =>
  !(error instanceof errors.JOSEError) ||
  error instanceof errors.JWKSTimeout ||
  error instanceof errors.JWKSInvalid ||
  error.code === "ERR_JOSE_GENERIC"

export const makeJwtCheck = (config: JwtAuthConfig, resolve: Resolver = systemResolver): JwtCheck => {
  const options: JWTVerifyOptions = {
    algorithms: [...config.algorithms],
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clock_tolerance / 1000,
    requiredClaims: ["iss", "aud", "exp", ...config.required_claims]
  }
  const remote =
    config.jwks_url === undefined
      ? undefined
      : createRemoteJWKSet(new URL(config.jwks_url), {
          timeoutDuration: config.jwks_timeout,
          cooldownDuration: config.jwks_cooldown,
          cacheMaxAge: config.jwks_cache,
          [customFetch]: guardedFetch(config.allowed_hosts, resolve)
        })
  const keys: ReadonlyArray<KeyObject> =
    config.secrets !== undefined
      ? config.secrets.map((s) => createSecretKey(Buffer.from(Redacted.value(s), "utf8")))
      : (config.public_keys ?? []).map((pem) => createPublicKey(pem))

  return async (authorization) => {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]
    if (token === undefined) return "fail"
    if (remote !== undefined) {
      let unavailable = false
      const getKey: JWTVerifyGetKey = (header, jws) =>
        remote(header, jws).catch((error: unknown) => {
          unavailable = isFetchFailure(error)
          throw error
        })
      try {
        await jwtVerify(token, getKey, options)
        return "pass"
      } catch {
        return unavailable ? "unavailable" : "fail"
      }
    }
    // several keys during a rotation: the first that verifies wins
    for (const key of keys) {
      try {
        await jwtVerify(token, key, options)
        return "pass"
      } catch {}
    }
    return "fail"
  }
}
