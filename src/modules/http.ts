/**
 * http: POSTs (or PUTs/PATCHes) the payload as JSON to a URL. The SSRF guard refuses
 * private, loopback, link-local and metadata addresses unless `allowed_hosts` lists them;
 * a non-empty `allowed_hosts` also restricts the URL to those hosts.
 * Connection (optional, type `http`): base headers and a Standard Webhooks signing secret.
 *
 * Every request carries `Idempotency-Key` and `webhook-id` (both the delivery's idempotency
 * key, stable across retries): the receiver dedupes, the wire cannot. Sockets resolve names
 * through the SSRF guard's lookup (http/ssrfGuard.ts), so the address checked is the address
 * connected to. Redirects are never followed. Interruption aborts the request (the socket is
 * destroyed). Statuses map as in http/statusError.ts, exchange failures as in
 * http/requestError.ts.
 */
import { Effect, Redacted, type Scope } from "effect"
import { Agent } from "undici"
import { type DestinationError, destinationError } from "../domain/DestinationError.ts"
import type { Delivery, Destination, DestinationRuntime, Receipt } from "./Destination.ts"
import type { HttpConfig, HttpConnection } from "./http/HttpConfig.ts"
import { forwardedHeaders, overlay } from "./http/outgoingHeaders.ts"
import { requestError } from "./http/requestError.ts"
import { guardedLookup, hostRefusal, type Resolver, systemResolver } from "./http/ssrfGuard.ts"
import { signingKey, signStandardWebhook } from "./http/standardWebhooks.ts"
import { statusError } from "./http/statusError.ts"

export interface HttpClientOptions {
  /** DNS for the SSRF guard's lookup; tests inject one to map names to addresses */
  readonly resolve?: Resolver
  readonly now?: () => number
}

interface Target {
  readonly origin: string
  readonly path: string
  readonly host: string
  /** for messages: scheme, host and port only (paths and queries often carry tokens) */
  readonly shown: string
  /** the SSRF guard's verdict on the host before any DNS (a function of the config alone) */
  readonly refused: string | undefined
}

// parsed once per step config (configs are frozen when the stream loads)
const targets = new WeakMap<HttpConfig, Target>()
const targetOf = (config: HttpConfig): Target => {
  let target = targets.get(config)
  if (target === undefined) {
    const url = new URL(config.url)
    target = {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      host: url.hostname,
      shown: url.origin,
      refused: hostRefusal(url.hostname, config.allowed_hosts)
    }
    targets.set(config, target)
  }
  return target
}

const hasHeader = (headers: Readonly<Record<string, string>>, name: string) =>
  Object.keys(headers).some((key) => key.toLowerCase() === name)

interface Exchange {
  readonly status: number
  readonly retryAfter: string | undefined
}

/** Builds the http destination for one connection (or none); sockets are closed with the Scope. */
export const makeHttpDestination = (
  connection: HttpConnection | undefined,
  options: HttpClientOptions = {}
): Effect.Effect<Destination<HttpConfig>, DestinationError, Scope.Scope> =>
  Effect.gen(function* () {
    // not per event: once per destination
    const resolve = options.resolve ?? systemResolver
    const now = options.now ?? Date.now
    const baseHeaders: Record<string, string> = {}
    for (const [name, value] of Object.entries(connection?.headers ?? {}))
      baseHeaders[name.toLowerCase()] = Redacted.value(value)
    const secret = connection?.signing_secret
    const key = secret === undefined ? undefined : signingKey(Redacted.value(secret))
    if (secret !== undefined && key === undefined) {
      return yield* Effect.fail(
        destinationError("misconfigured", "signing_secret is not a Standard Webhooks secret (whsec_<base64>)")
      )
    }

    // One pool per allowlist: a socket checked under one step's allowed_hosts must not be
    // reused by a step whose allowlist would have refused it.
    const agents = new Map<string, Agent>()
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => Promise.all([...agents.values()].map((agent) => agent.destroy().catch(() => undefined))))
    )
    const agentFor = (allowed: ReadonlyArray<string>): Agent => {
      const id = allowed.join("\n")
      let agent = agents.get(id)
      if (agent === undefined) {
        agent = new Agent({ connect: { lookup: guardedLookup(allowed, resolve) } })
        agents.set(id, agent)
      }
      return agent
    }

    // One AbortController per request, aborted by the per-request timer or by the fiber's
    // interruption (the engine's attempt timeout, the chain deadline, a failed sibling).
    // Effect.tryPromise would add a second controller and an abort listener per request.
    const exchange = async (
      controller: AbortController,
      config: HttpConfig,
      target: Target,
      headers: Record<string, string>,
      body: string | Buffer
    ): Promise<Exchange> => {
      let timedOut = false
      const timer =
        config.timeout === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true
              controller.abort()
            }, config.timeout)
      try {
        const response = await agentFor(config.allowed_hosts).request({
          origin: target.origin,
          path: target.path,
          method: config.method,
          headers,
          body,
          signal: controller.signal
        })
        // drain so the socket can be reused; the body is not ours to keep or publish
        await response.body.dump({ limit: 64 * 1024 })
        const retryAfter = response.headers["retry-after"]
        return { status: response.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter }
      } catch (error) {
        if (timedOut) throw new RequestTimedOut(config.timeout ?? 0)
        throw error
      } finally {
        clearTimeout(timer)
      }
    }

    const exchangeEffect = (
      config: HttpConfig,
      target: Target,
      headers: Record<string, string>,
      body: string | Buffer
    ): Effect.Effect<Exchange, DestinationError> =>
      Effect.callback<Exchange, DestinationError>((resume) => {
        const controller = new AbortController()
        exchange(controller, config, target, headers, body).then(
          (result) => resume(Effect.succeed(result)),
          (error: unknown) =>
            resume(
              Effect.fail(
                error instanceof RequestTimedOut
                  ? destinationError("timeout", `${target.shown}: no answer within ${error.ms} ms`)
                  : requestError(error, target.shown)
              )
            )
        )
        return Effect.sync(() => controller.abort())
      })

    // suspend + flatMap rather than an inline Effect.gen: a generator function created per
    // call costs ~1 µs on every request (see test/unit/engine/hotPath.test.ts)
    const send = (delivery: Delivery<HttpConfig>): Effect.Effect<Receipt, DestinationError> =>
      Effect.suspend(() => {
        const { config } = delivery
        const target = targetOf(config)
        if (target.refused !== undefined)
          return Effect.fail(destinationError("blocked", `${target.shown}: ${target.refused}`))

        const raw = delivery.payloadEncoding === "base64"
        const body = raw ? Buffer.from(String(delivery.payload), "base64") : JSON.stringify(delivery.payload)
        const headers = forwardedHeaders(delivery.headers, config.forward_headers)
        overlay(headers, baseHeaders)
        overlay(headers, config.headers)
        if (delivery.templatedHeaders !== undefined) overlay(headers, delivery.templatedHeaders)
        if (!hasHeader(headers, "content-type"))
          headers["content-type"] = raw ? "application/octet-stream" : "application/json"
        headers["idempotency-key"] = delivery.idempotencyKey
        // Standard Webhooks' message id: the same across retries and redeliveries of this step
        headers["webhook-id"] = delivery.idempotencyKey
        if (delivery.traceparent !== undefined) headers.traceparent = delivery.traceparent
        if (key !== undefined) {
          const timestamp = Math.floor(now() / 1000)
          headers["webhook-timestamp"] = String(timestamp)
          headers["webhook-signature"] = signStandardWebhook(key, delivery.idempotencyKey, timestamp, body)
        }

        return Effect.flatMap(
          exchangeEffect(config, target, headers, body),
          (result): Effect.Effect<Receipt, DestinationError> =>
            result.status >= 200 && result.status < 300
              ? Effect.succeed({ detail: `HTTP ${result.status}` })
              : Effect.fail(statusError(result.status, result.retryAfter, now(), target.shown))
        )
      })

    return { send }
  })

class RequestTimedOut extends Error {
  readonly ms: number
  constructor(ms: number) {
    super(`request timed out after ${ms} ms`)
    this.ms = ms
  }
}

export const httpDestination: DestinationRuntime<HttpConfig, HttpConnection> = {
  make: (connection) => makeHttpDestination(connection)
}
