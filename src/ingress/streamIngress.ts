/**
 * A stream's `ingress:` section compiled for the request path: auth checks with their
 * secrets hashed or decoded once, the rate limiter, the key pointer. Only streams with an
 * `ingress:` section that is `enabled` are served; every other id answers 404 (a stream
 * without the section takes events from Kafka producers only; `ingress: {}` opts in without
 * auth, which the ingress logs as a warning).
 */
import type { StreamDefinition } from "../config/StreamDefinition.ts"
import type { PayloadContract } from "../domain/PayloadContract.ts"
import { makeApiKeyCheck } from "./auth/apiKey.ts"
import { makeBasicCheck } from "./auth/basic.ts"
import { makeBearerCheck } from "./auth/bearer.ts"
import { type HmacCheck, makeHmacCheck, makeHmacHeaderCheck } from "./auth/hmac.ts"
import { type JwtCheck, makeJwtCheck } from "./auth/jwt.ts"
import { headerValue, type RequestHeaders } from "./headers.ts"
import { makeIpAllowlist } from "./ipAllowlist.ts"
import { makeRateLimiter, type RateDecision } from "./rateLimiter.ts"

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
}

const ALLOWED: RateDecision = { allowed: true }

export const compileStreamIngress = (stream: StreamDefinition, now: () => number): StreamIngress | undefined => {
  const ingress = stream.ingress
  if (ingress === undefined || !ingress.enabled) return undefined
  const { auth } = ingress
  const ip = auth.ip_allowlist === undefined ? undefined : makeIpAllowlist(auth.ip_allowlist)
  const bearer = auth.bearer === undefined ? undefined : makeBearerCheck(auth.bearer)
  const basic = auth.basic === undefined ? undefined : makeBasicCheck(auth.basic)
  const apiKey = auth.api_key === undefined ? undefined : makeApiKeyCheck(auth.api_key)
  const signatureHeader = auth.hmac === undefined ? undefined : makeHmacHeaderCheck(auth.hmac)
  const limit = ingress.rate_limit
  const limiter =
    limit === undefined
      ? undefined
      : makeRateLimiter({ perSecond: limit.per_second, burst: limit.burst ?? Math.ceil(limit.per_second), now })
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
    verifyToken: auth.jwt === undefined ? undefined : makeJwtCheck(auth.jwt),
    secretHeaders: new Set(auth.api_key?.header === undefined ? [] : [auth.api_key.header.toLowerCase()]),
    checkBody: auth.hmac === undefined ? undefined : makeHmacCheck(auth.hmac),
    payloadContract: stream.payloadContract,
    rateLimit:
      limiter === undefined ? () => ALLOWED : (address) => limiter.take(limit?.per_ip === true ? (address ?? "") : "")
  }
}
