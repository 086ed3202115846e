/**
 * The ingress's gate: everything decided from the request line and headers, before the body
 * is read and before an in-flight slot is taken, in order: 431 (header count), 401 (every
 * configured check, the JWT included; all run, so timing does not tell which failed), 503 (the
 * stream's JWKS cannot be fetched), 429 (rate limit), 503 (shutting down, or no slot).
 */
import type { FastifyReply, FastifyRequest } from "fastify"
import type { JwtVerdict } from "./auth/jwt.ts"
import { headerValue } from "./headers.ts"
import type { InFlight, Slot } from "./inFlight.ts"
import { headerCount } from "./limits.ts"
import type { StreamIngress } from "./streamIngress.ts"

export interface Rejection {
  readonly code: number
  readonly retryAfter?: number
}

export interface GateOptions {
  readonly maxHeaders: number
  readonly retryAfterSeconds: number
  readonly inFlight: InFlight
  readonly closing: () => boolean
  readonly now: () => number
  /** the stream's JWKS could not be fetched; called at most once a minute per stream */
  readonly warnJwksUnavailable: (webhookId: string) => void
  readonly reject: (reply: FastifyReply, rejection: Rejection) => void
  /** the request passed: its slot, released when the response closes */
  readonly admitted: (request: FastifyRequest, slot: Slot) => void
}

export const makeGate = (options: GateOptions) => {
  const warnedAt = new Map<string, number>()
  const decide = (stream: StreamIngress, request: FastifyRequest, auth: JwtVerdict): Rejection | undefined => {
    if (auth === "fail") return { code: 401 }
    if (auth === "unavailable") {
      // an identity provider outage must be seen, not flood the log
      if (options.now() - (warnedAt.get(stream.webhookId) ?? Number.NEGATIVE_INFINITY) > 60_000) {
        warnedAt.set(stream.webhookId, options.now())
        options.warnJwksUnavailable(stream.webhookId)
      }
      return { code: 503, retryAfter: options.retryAfterSeconds }
    }
    const rate = stream.rateLimit(request.ip)
    if (!rate.allowed) return { code: 429, retryAfter: rate.retryAfterSeconds }
    if (options.closing()) return { code: 503, retryAfter: options.retryAfterSeconds }
    return undefined
  }

  return (stream: StreamIngress, request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (headerCount(request.raw.rawHeaders) > options.maxHeaders) {
      options.reject(reply, { code: 431 })
      return
    }
    const passed = stream.checkHead({ headers: request.headers, ip: request.ip, url: request.url })
    const proceed = (verdict: JwtVerdict): void => {
      // gone while its token was checked: a slot taken now would never see its "close"
      if (request.raw.destroyed || reply.raw.destroyed) return
      const rejection = decide(stream, request, verdict)
      const slot = rejection === undefined ? options.inFlight.tryAcquire(stream.webhookId) : undefined
      if (slot === undefined) {
        options.reject(reply, rejection ?? { code: 503, retryAfter: options.retryAfterSeconds })
        return
      }
      options.admitted(request, slot)
      reply.raw.once("close", slot.release)
      done()
    }
    if (stream.verifyToken === undefined) {
      proceed(passed ? "pass" : "fail")
      return
    }
    // the token is verified even when another check failed: the time taken does not tell which
    stream.verifyToken(headerValue(request.headers, "authorization")).then(
      (verdict) => proceed(passed ? verdict : "fail"),
      () => proceed("unavailable")
    )
  }
}
