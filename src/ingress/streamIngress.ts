/**
 * A stream's `ingress:` section compiled for the request path: auth checks with their
 * secrets hashed or decoded once, the rate limiter, the key pointer. Only streams with an
 * `ingress:` section that is `enabled` are served; every other id answers 404 (a stream
 * without the section takes events from Kafka producers only; `ingress: {}` opts in without
 * auth, which the ingress logs as a warning).
 *
 * A reload compiles every stream again, handing over the previous compilation's state that is
 * worth keeping (`CarriedState`): the rate limiter's buckets (a reload must not hand out a
 * fresh burst) and the JWT check with its cached JWKS (a reload must not refetch it). Each is
 * kept only while the settings it was built from are equal by value (`Equal.equals` is
 * structural on the frozen config data and compares `Redacted` secrets by their value).
 */
import { Equal } from "effect"
import type { JwtAuthConfig } from "../config/JwtAuth.ts"
import type { StreamDefinition } from "../config/StreamDefinition.ts"
import type { PayloadContract } from "../domain/PayloadContract.ts"
import { makeApiKeyCheck } from "./auth/apiKey.ts"
import { makeBasicCheck } from "./auth/basic.ts"
import { makeBearerCheck } from "./auth/bearer.ts"
import { type HmacCheck, makeHmacCheck, makeHmacHeaderCheck } from "./auth/hmac.ts"
import { type JwtCheck, makeJwtCheck } from "./auth/jwt.ts"
import { headerValue, type RequestHeaders } from "./headers.ts"
import { makeIpAllowlist } from "./ipAllowlist.ts"
import { makeRateLimiter, type RateDecision, type RateLimiter } from "./rateLimiter.ts"

/** What is known of a request before its body is read. */
export interface RequestHead {
  readonly headers: RequestHeaders
  readonly ip: string | undefined
  /** the request target as sent: path and query */
  readonly url: string
}

export interface StreamIngress {
  readonly webhookId: string
  readonly maxPayloadBytes: number
  readonly allowRaw: boolean
  readonly keyPointer: string | undefined
  readonly hmacStyle: string | undefined
  readonly authenticated: boolean
  /** the checks that need no body (IP allowlist, bearer, basic, API key, the signature header's form and time): all must pass */
  // (the JWT, which needs no body either, is `verifyToken`: it may have to wait for its JWKS)
  readonly checkHead: (head: RequestHead) => boolean
  /** the JWT in the Authorization header, if configured (asynchronous: its JWKS may need fetching) */
  readonly verifyToken: JwtCheck | undefined
  /** request headers that carry this stream's credentials beyond the standard ones: never copied into the event */
  readonly secretHeaders: ReadonlySet<string>
  /** the HMAC signature over the raw body, if configured */
  readonly checkBody: HmacCheck | undefined
  /** the stream's payload_schema: a JSON payload that does not match is answered 422 */
  readonly payloadContract: PayloadContract | undefined
  readonly rateLimit: (ip: string | undefined) => RateDecision
  /** what the next reload keeps if the settings it was built from did not change */
  readonly carried: CarriedState
}

type RateLimitConfig = NonNullable<NonNullable<StreamDefinition["ingress"]>["rate_limit"]>

export interface CarriedState {
  readonly rateLimit: { readonly settings: RateLimitConfig; readonly limiter: RateLimiter } | undefined
  readonly jwt: { readonly settings: JwtAuthConfig; readonly check: JwtCheck } | undefined
}

const reuse = <C extends { readonly settings: unknown }>(
  previous: C | undefined,
  settings: C["settings"],
  make: () => C
): C => (previous !== undefined && Equal.equals(previous.settings, settings) ? previous : make())

const ALLOWED: RateDecision = { allowed: true }

/** `previous`: the state of this stream's current compilation, on a reload */
export const compileStreamIngress = (
  stream: StreamDefinition,
  now: () => number,
  previous?: CarriedState
): StreamIngress | undefined => {
  const ingress = stream.ingress
  if (ingress === undefined || !ingress.enabled) return undefined
  const { auth } = ingress
  const ip = auth.ip_allowlist === undefined ? undefined : makeIpAllowlist(auth.ip_allowlist)
  const bearer = auth.bearer === undefined ? undefined : makeBearerCheck(auth.bearer)
  const basic = auth.basic === undefined ? undefined : makeBasicCheck(auth.basic)
  const apiKey = auth.api_key === undefined ? undefined : makeApiKeyCheck(auth.api_key)
  const signatureHeader = auth.hmac === undefined ? undefined : makeHmacHeaderCheck(auth.hmac)
  const limit = ingress.rate_limit
  const jwt = auth.jwt
  const carried: CarriedState = {
    rateLimit:
      limit === undefined
        ? undefined
        : reuse(previous?.rateLimit, limit, () => ({
            settings: limit,
            limiter: makeRateLimiter({
              perSecond: limit.per_second,
              burst: limit.burst ?? Math.ceil(limit.per_second),
              now
            })
          })),
    jwt: jwt === undefined ? undefined : reuse(previous?.jwt, jwt, () => ({ settings: jwt, check: makeJwtCheck(jwt) }))
  }
  const limiter = carried.rateLimit?.limiter
  return {
    webhookId: stream.plan.webhookId,
    maxPayloadBytes: stream.maxPayloadBytes,
    allowRaw: ingress.allow_raw,
    keyPointer: ingress.key,
    hmacStyle: auth.hmac?.style,
    authenticated:
      ip !== undefined ||
      bearer !== undefined ||
      basic !== undefined ||
      apiKey !== undefined ||
      jwt !== undefined ||
      auth.hmac !== undefined,
    checkHead: ({ headers, ip: address, url }) => {
      const authorization = headerValue(headers, "authorization")
      // every configured check runs (no short-circuit), so timing does not tell which failed
      const results = [
        ip?.(address) ?? true,
        bearer?.(authorization) ?? true,
        basic?.(authorization) ?? true,
        apiKey?.(headers, url) ?? true,
        signatureHeader?.(headers, now()) ?? true
      ]
      return results.every(Boolean)
    },
    verifyToken: carried.jwt?.check,
    secretHeaders: new Set(auth.api_key?.header === undefined ? [] : [auth.api_key.header.toLowerCase()]),
    checkBody: auth.hmac === undefined ? undefined : makeHmacCheck(auth.hmac),
    payloadContract: stream.payloadContract,
    rateLimit:
      limiter === undefined ? () => ALLOWED : (address) => limiter.take(limit?.per_ip === true ? (address ?? "") : ""),
    carried
  }
}
