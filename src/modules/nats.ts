/**
 * nats: publishes the payload as JSON to a subject; with JetStream (the default) `send`
 * resolves on the stream's ack and the idempotency key becomes the Nats-Msg-Id, so the
 * stream dedupes redeliveries. Connection required.
 *
 * - JetStream: a PubAck marked `duplicate` is a success (the stream already holds this
 *   delivery, from an earlier attempt within its duplicate window). hookstream creates no
 *   stream: one must capture the subject, else the send fails `misconfigured`; with
 *   `stream:` set, the server also checks the message lands in that stream
 *   (Nats-Expected-Stream).
 * - `jetstream: false`: core NATS, at most once: `send` resolves once the server has
 *   processed the publish (a flush), whether or not anyone subscribes; no dedupe.
 * - Headers: hookstream-event-id, hookstream-webhook-id, hookstream-idempotency-key,
 *   traceparent, Content-Type, the step's `headers`.
 * - One connection per connection entry (nats/NatsLink.ts); interruption stops the wait for
 *   the ack at once and leaves no pending request or timer.
 * - Errors: nats/natsError.ts.
 */
import { jetstreamManager } from "@nats-io/jetstream"
import { type NodeConnectionOptions, headers as natsHeaders } from "@nats-io/transport-node"
import { Effect, Redacted } from "effect"
import { type DestinationError, destinationError } from "../domain/DestinationError.ts"
import { abortable } from "./abortable.ts"
import { messageBody, messageHeaders } from "./brokerMessage.ts"
import type { Delivery, DestinationRuntime, Receipt } from "./Destination.ts"
import type { NatsConfig, NatsConnection } from "./nats/NatsConfig.ts"
import { makeNatsLink, type NatsLink } from "./nats/NatsLink.ts"
import { jetStreamApiError, natsError } from "./nats/natsError.ts"

/** bounds the TCP connect and the handshake */
const CONNECT_TIMEOUT_MS = 5_000
/** a JetStream ack lost on the way fails the send after this (the engine's deadline is usually shorter) */
const ACK_TIMEOUT_MS = 30_000

const connectOptions = (connection: NatsConnection): NodeConnectionOptions => ({
  servers: [...connection.servers],
  name: connection.name,
  ...(connection.token === undefined ? {} : { token: Redacted.value(connection.token) }),
  ...(connection.user === undefined ? {} : { user: connection.user }),
  ...(connection.password === undefined ? {} : { pass: Redacted.value(connection.password) }),
  ...(connection.tls ? { tls: {} } : {}),
  timeout: CONNECT_TIMEOUT_MS,
  reconnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 2_000,
  // stack traces captured per request cost more than the publish itself
  noAsyncTraces: true
})

const headersOf = (delivery: Delivery<NatsConfig>, contentType: string) => {
  const h = natsHeaders()
  for (const [name, value] of Object.entries(messageHeaders(delivery, delivery.config.headers))) h.set(name, value)
  h.set("Content-Type", contentType)
  return h
}

/**
 * Nobody answered a JetStream publish: tell a subject no stream captures (this step's
 * configuration) from a stream or JetStream that is down (retryable).
 */
const noResponders = async (link: NatsLink, subject: string, signal: AbortSignal): Promise<DestinationError> => {
  const jsm = await jetstreamManager(await link.connection(signal), { checkAPI: false })
  try {
    const stream = await jsm.streams.find(subject)
    return destinationError("unavailable", `nats: stream '${stream}' captures '${subject}' but did not answer`)
  } catch (error) {
    return error instanceof Error && error.name === "StreamNotFoundError"
      ? destinationError("misconfigured", `nats: no JetStream stream captures subject '${subject}'`)
      : natsError(error)
  }
}

const make = (connection: NatsConnection | undefined) =>
  Effect.gen(function* () {
    if (connection === undefined) {
      return yield* Effect.fail(destinationError("misconfigured", "nats: a connection is required"))
    }
    const link = yield* Effect.acquireRelease(
      Effect.sync(() => makeNatsLink(connectOptions(connection), ACK_TIMEOUT_MS)),
      (link) => Effect.promise(() => link.close())
    )
    // Connect now, so wrong credentials stop startup; a server that is down does not
    // (each send tries to connect again and fails retryable meanwhile).
    yield* Effect.tryPromise({ try: () => link.open(), catch: natsError }).pipe(
      Effect.catch((failure) =>
        failure.retryable
          ? Effect.logWarning("nats: server not reachable yet; sends will retry", { error: failure.message })
          : Effect.fail(failure)
      )
    )

    const jetStreamPublish = async (delivery: Delivery<NatsConfig>, signal: AbortSignal): Promise<Receipt> => {
      const { subject, stream } = delivery.config
      const body = messageBody(delivery)
      const h = headersOf(delivery, body.contentType)
      h.set("Nats-Msg-Id", delivery.idempotencyKey)
      if (stream !== undefined) h.set("Nats-Expected-Stream", stream)
      const reply = await link.request(subject, body.bytes, h, signal)
      if (reply.noResponders) throw await noResponders(link, subject, signal)
      if (reply.error !== undefined) throw jetStreamApiError(reply.error, subject)
      if (reply.stream === undefined) throw destinationError("unknown", "nats: a JetStream ack without a stream")
      return {
        detail: reply.duplicate
          ? `duplicate: already in stream ${reply.stream} (seq ${reply.seq})`
          : `stream ${reply.stream} seq ${reply.seq}`
      }
    }

    const corePublish = async (delivery: Delivery<NatsConfig>, signal: AbortSignal): Promise<Receipt> => {
      const body = messageBody(delivery)
      await link.publish(delivery.config.subject, body.bytes, headersOf(delivery, body.contentType), signal)
      return { detail: "flushed (core NATS: no delivery ack)" }
    }

    const send = (delivery: Delivery<NatsConfig>): Effect.Effect<Receipt, DestinationError> =>
      abortable(
        (signal) => (delivery.config.jetstream ? jetStreamPublish(delivery, signal) : corePublish(delivery, signal)),
        natsError
      )

    return { send }
  })

export const natsDestination: DestinationRuntime<NatsConfig, NatsConnection> = {
  make
}
