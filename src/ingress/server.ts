/**
 * The HTTP front door: `POST /webhooks/:webhook_id` answers 202 `{ "event_id": … }` only
 * once Kafka has acknowledged the event. fastify does the HTTP: one route for every stream,
 * raw bodies as Buffers read up to the stream's body limit (413; signatures are checked over
 * the exact bytes received), Node's header-size limit (431).
 *
 * The streams served can be swapped while the server runs (`serve`, a reload). A request
 * looks its stream up once, when it arrives, and keeps that compilation to the end: a request
 * in flight finishes with the auth, limits and payload contract it started with, requests
 * arriving after the swap get the new ones. Connections are untouched by a swap.
 *
 * A request goes through, in order:
 *   404  no served stream has this id (or another method/path)
 *   431  more header fields than allowed (total header bytes: Node's limit, also 431)
 *   401  IP allowlist, bearer, basic, API key, JWT, and the HMAC signature header's form and
 *        timestamp (before the body is read)
 *   503  the stream's JWKS cannot be fetched (timeout, network, SSRF refusal), with Retry-After
 *   429  the stream's (or the client IP's) token bucket is empty, with Retry-After
 *   503  no in-flight slot for this stream (its reserve and the shared part are taken: see
 *        inFlight.ts), or the ingress is shutting down, with Retry-After
 *   408  the request (headers and body) did not arrive within the request timeout; the
 *        connection is closed and the slot freed
 *   413  body over the stream's max_payload_size (read no further than the limit: readBody.ts)
 *   401  HMAC signature (github, stripe, standard_webhooks) over the raw body
 *   415  not JSON and the stream does not allow raw bodies
 *   400  not UTF-8, invalid JSON, or nested deeper than 50
 *   422  the JSON payload does not match the stream's payload_schema (the first few JSON
 *        Pointer paths and what the schema wants there, never the values)
 *   413  the event envelope would exceed max_payload_size (the processor would refuse it)
 *   503  Kafka did not acknowledge within the produce timeout, or failed, with Retry-After
 *   202  acknowledged by Kafka (acks=all)
 * Failures say no more than the status needs: a 401 never tells which check failed.
 */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { Cause, Effect, Exit, Schema, type Scope } from "effect"
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify"
import * as H from "../domain/KafkaHeaders.ts"
import { toRfc3339 } from "../domain/Timestamp.ts"
import type { EventProducer } from "./EventProducer.ts"
import { envelopeHeaders, envelopeValue, type IngressRecord, traceHeaders } from "./envelope.ts"
import { providerEventId, ulid } from "./eventId.ts"
import { makeGate } from "./gate.ts"
import { headerValue } from "./headers.ts"
import { type InFlight, makeInFlight, type Slot } from "./inFlight.ts"
import { kafkaKeyFrom } from "./kafkaKey.ts"
import { isJsonMediaType, parseJsonBody } from "./limits.ts"
import { inFlightGauge, produceUnsettledTotal, requestDuration, requestsTotal } from "./metrics.ts"
import { WEBHOOK_PATH_PREFIX } from "./paths.ts"
import { readBody } from "./readBody.ts"
import { clientErrorHandler, errorBody, send } from "./replies.ts"
import type { StreamIngress } from "./streamIngress.ts"

export class IngressServerError extends Schema.TaggedError<IngressServerError>()("IngressServerError", {
  message: Schema.String,
  addressInUse: Schema.Boolean
}) {}

export interface IngressServerOptions {
  readonly host: string
  readonly port: number
  /** the streams served at start */
  readonly streams: ReadonlyArray<StreamIngress>
  readonly producer: EventProducer
  /** requests in flight plus records still settling with the producer */
  readonly maxInFlight: number
  /** header fields per request */
  readonly maxHeaders: number
  /** total bytes of the request line and headers (Node's maxHeaderSize) */
  readonly maxHeaderBytes: number
  /** proxies whose X-Forwarded-For is believed (addresses or CIDRs); empty: the socket's address */
  readonly trustProxy: ReadonlyArray<string>
  /** seconds in the Retry-After of a 503 */
  readonly retryAfterSeconds: number
  /**
   * How long a client may take to send its whole request, headers and body (default 10 s):
   * past it the answer is 408 and the connection closes, so a slow sender cannot keep an
   * in-flight slot. Node checks every `min(1 s, timeout / 4)`.
   */
  readonly requestTimeoutMs?: number
  readonly now?: () => number
}

export interface IngressServer {
  readonly url: string
  readonly port: number
  readonly inFlight: () => number
  readonly closing: () => boolean
  /** serve these streams from now on, in one step (requests already in flight keep theirs) */
  readonly serve: (streams: ReadonlyArray<StreamIngress>) => void
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000

const EMPTY = Buffer.alloc(0)
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/

interface RequestState {
  readonly stream: StreamIngress
  slot: Slot | undefined
}

export const makeIngressServer = (
  options: IngressServerOptions
): Effect.Effect<IngressServer, IngressServerError, Scope.Scope> =>
  Effect.gen(function* () {
    // fastify calls back outside our fibers: run there with this fiber's services (the process's logger)
    const context = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(context)
    const runPromiseExit = Effect.runPromiseExitWith(context)
    const now = options.now ?? Date.now
    const { producer } = options
    const byId = (list: ReadonlyArray<StreamIngress>) => new Map(list.map((s) => [s.webhookId, s]))
    let streams: ReadonlyMap<string, StreamIngress> = byId(options.streams)
    const inFlight: InFlight = makeInFlight(options.maxInFlight, [...streams.keys()], (n) => inFlightGauge.set(n))
    const serve = (next: ReadonlyArray<StreamIngress>) => {
      streams = byId(next)
      inFlight.serve([...streams.keys()])
    }
    const states = new WeakMap<IncomingMessage, RequestState>()
    /** the latest response on each connection: a timeout after its head went out must not write another */
    const responses = new WeakMap<Socket, ServerResponse>()
    let closing = false
    const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS

    const app = Fastify({
      logger: false,
      http: {
        maxHeaderSize: options.maxHeaderBytes,
        requestTimeout,
        headersTimeout: requestTimeout,
        // Node's default looks every 30 s, which would let a slow sender keep its slot that much longer
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeout / 4)))
      },
      trustProxy: options.trustProxy.length === 0 ? false : [...options.trustProxy],
      requestTimeout,
      return503OnClosing: true,
      forceCloseConnections: "idle",
      clientErrorHandler: clientErrorHandler(responses)
    })

    // Every body arrives as the exact bytes sent, up to its stream's limit; the media type is
    // judged in the handler. (No stream: no body, though onRequest has answered those already.)
    app.removeAllContentTypeParsers()
    app.addContentTypeParser("*", (request: FastifyRequest, payload: IncomingMessage) =>
      readBody(payload, request.headers["content-length"], states.get(request.raw)?.stream.maxPayloadBytes ?? 0)
    )

    app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
      const code = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500
      if (code >= 500) runFork(Effect.logError("ingress request failed", error.message ?? String(error)))
      return send(reply, code, errorBody(code))
    })

    app.setNotFoundHandler((_request, reply) => send(reply, 404, errorBody(404)))
    // answer unknown paths before their body is read (else a large one would be a 413)
    app.addHook("onRequest", (request, reply, done) => {
      responses.set(request.raw.socket, reply.raw)
      if (request.is404) {
        send(reply, 404, errorBody(404))
        return
      }
      done()
    })

    app.addHook("onResponse", (request, reply, done) => {
      const code = String(reply.statusCode)
      requestsTotal.inc({ webhook_id: states.get(request.raw)?.stream.webhookId ?? "", code })
      requestDuration.observe({ code }, reply.elapsedTime / 1000)
      done()
    })

    const gate = makeGate({
      maxHeaders: options.maxHeaders,
      retryAfterSeconds: options.retryAfterSeconds,
      inFlight,
      closing: () => closing,
      now,
      warnJwksUnavailable: (webhookId) =>
        runFork(Effect.logWarning(`ingress: stream '${webhookId}' cannot fetch its JWKS; answering 503`)),
      reject: (reply, rejection) => {
        send(reply, rejection.code, errorBody(rejection.code), rejection.retryAfter)
      },
      admitted: (request, slot) => {
        const state = states.get(request.raw)
        if (state !== undefined) state.slot = slot
      }
    })

    const accept = async (request: FastifyRequest, reply: FastifyReply) => {
      const stream = states.get(request.raw)?.stream
      if (stream === undefined) return send(reply, 404, errorBody(404))
      const headers = request.headers
      const body = Buffer.isBuffer(request.body) ? request.body : EMPTY
      const received = now()
      if (stream.checkBody !== undefined && !stream.checkBody(headers, body, received))
        return send(reply, 401, errorBody(401))

      let payload: Parameters<typeof envelopeValue>[0]["payload"]
      let document: unknown
      if (isJsonMediaType(headers["content-type"])) {
        const parsed = parseJsonBody(body)
        if (!parsed.ok) return send(reply, 400, { error: parsed.problem })
        const problems = stream.payloadContract?.check(parsed.value)
        if (problems !== undefined && problems.length > 0)
          return send(reply, 422, { error: "the payload does not match this stream's payload_schema", problems })
        payload = { encoding: "json", text: parsed.text }
        document = parsed.value
      } else if (stream.allowRaw) {
        payload = { encoding: "base64", base64: body.toString("base64") }
      } else {
        return send(reply, 415, { error: "unsupported media type: this stream accepts application/json" })
      }

      const eventId = providerEventId(headers, document, stream.hmacStyle) ?? ulid(received)
      const requestId = headerValue(headers, "x-request-id")?.trim()
      const correlationId = requestId !== undefined && REQUEST_ID.test(requestId) ? requestId : randomUUID()
      reply.header("x-request-id", correlationId)
      const value = envelopeValue({
        webhookId: stream.webhookId,
        eventId,
        receivedAt: toRfc3339(received),
        headers: envelopeHeaders(headers, stream.secretHeaders),
        payload
      })
      if (Buffer.byteLength(value) > stream.maxPayloadBytes)
        return send(reply, 413, { error: "the event (payload and headers) exceeds this stream's max_payload_size" })
      const record: IngressRecord = {
        key: kafkaKeyFrom(document, stream.keyPointer),
        value,
        headers: {
          ...traceHeaders(headerValue(headers, H.TRACEPARENT), headerValue(headers, H.TRACESTATE)),
          [H.CORRELATION_ID]: correlationId
        }
      }

      const slot = states.get(request.raw)?.slot
      slot?.hold()
      const exit = await runPromiseExit(producer.produce(record, slot?.release))
      if (Exit.isSuccess(exit)) return send(reply, 202, { event_id: eventId })
      const failure = Cause.findErrorOption(exit.cause)
      if (failure._tag === "Some" && failure.value.reason === "too_large")
        return send(reply, 413, { error: "the event is larger than Kafka accepts" })
      if (failure._tag === "Some" && failure.value.handedOver)
        produceUnsettledTotal.inc({ webhook_id: stream.webhookId })
      return send(reply, 503, { error: "kafka unavailable", event_id: eventId }, options.retryAfterSeconds)
    }

    app.post<{ Params: { webhook_id: string } }>(`${WEBHOOK_PATH_PREFIX}:webhook_id`, {
      onRequest: (request, reply, done) => {
        // the one lookup of this request's stream: whatever a reload does later, it keeps this one
        const stream = streams.get(request.params.webhook_id)
        if (stream === undefined) {
          send(reply, 404, errorBody(404))
          return
        }
        states.set(request.raw, { stream, slot: undefined })
        gate(stream, request, reply, done)
      },
      handler: accept
    })

    const port = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          await app.listen({ host: options.host, port: options.port })
          const address = app.server.address()
          return typeof address === "object" && address !== null ? address.port : options.port
        },
        catch: (e) =>
          new IngressServerError({
            message: `cannot listen on ${options.host}:${options.port}: ${e instanceof Error ? e.message : String(e)}`,
            addressInUse: (e as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE"
          })
      }),
      // stop accepting, let requests in flight finish (each bounded by the produce timeout)
      () =>
        Effect.promise(() => {
          closing = true
          return app.close()
        })
    )

    const host = options.host.includes(":") ? `[${options.host}]` : options.host
    return { url: `http://${host}:${port}`, port, inFlight: inFlight.count, closing: () => closing, serve }
  })
