/**
 * rabbitmq: publishes the payload as JSON either to an exchange with a routing key, or
 * straight to a queue (through the default exchange). Messages are persistent unless told
 * otherwise; publisher confirms make `send` resolve only once the broker has them.
 * Connection required.
 *
 * - The exchange or queue must exist: hookstream declares nothing (the original declared a
 *   durable queue, silently creating one with default arguments wherever a name was mistyped).
 *   A missing exchange, or a message no queue receives (a missing queue, no matching binding:
 *   published `mandatory`, it comes back), fails `misconfigured`.
 * - Every message carries message_id = idempotency key, correlation_id = event id, and the
 *   headers hookstream-event-id, hookstream-webhook-id, hookstream-idempotency-key,
 *   traceparent. RabbitMQ has no dedupe by message id (without a plugin): a redelivered event
 *   is published again, and consumers dedupe by message_id.
 * - One connection and one confirm channel per connection entry (rabbitmq/AmqpLink.ts), opened
 *   in `make` and again on the next send after either is lost.
 * - Interruption stops the wait for the confirm at once; a message already written cannot
 *   be recalled, so it may still arrive (the engine's retry then publishes it again).
 * - Errors: rabbitmq/amqpError.ts.
 */
import { Effect, Redacted } from "effect"
import { type DestinationError, destinationError } from "../domain/DestinationError.ts"
import { abortable } from "./abortable.ts"
import { messageBody, messageHeaders } from "./brokerMessage.ts"
import type { Delivery, DestinationRuntime, Receipt } from "./Destination.ts"
import { type AmqpTarget, makeAmqpLink } from "./rabbitmq/AmqpLink.ts"
import { amqpError } from "./rabbitmq/amqpError.ts"
import type { RabbitmqConfig, RabbitmqConnection } from "./rabbitmq/RabbitmqConfig.ts"

/** how long opening a TCP connection to the broker may take */
const CONNECT_TIMEOUT_MS = 5_000

const linkOptions = (connection: RabbitmqConnection) => {
  const heartbeat = Math.max(1, Math.round(connection.heartbeat / 1000))
  const socket = { timeout: CONNECT_TIMEOUT_MS, noDelay: true, clientProperties: { connection_name: "hookstream" } }
  if (connection.url !== undefined) {
    const url = new URL(Redacted.value(connection.url))
    const tls = url.protocol === "amqps:"
    return {
      options: {
        protocol: tls ? "amqps" : "amqp",
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port === "" ? (tls ? 5671 : 5672) : Number(url.port),
        username: url.username === "" ? "guest" : decodeURIComponent(url.username),
        password: url.password === "" ? "guest" : decodeURIComponent(url.password),
        // amqp://host/ and amqp://host name no vhost: the entry's `vhost` applies
        vhost: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : connection.vhost,
        heartbeat
      },
      socket
    }
  }
  return {
    options: {
      protocol: connection.tls ? "amqps" : "amqp",
      hostname: connection.host ?? "",
      port: connection.port,
      username: connection.user ?? "guest",
      password: connection.password === undefined ? "guest" : Redacted.value(connection.password),
      vhost: connection.vhost,
      heartbeat
    },
    socket
  }
}

const targetOf = (config: RabbitmqConfig): AmqpTarget =>
  config.queue !== undefined
    ? { exchange: "", routingKey: config.queue }
    : { exchange: config.exchange ?? "", routingKey: config.routing_key ?? "" }

const confirmed: Receipt = { detail: "confirmed by the broker" }

const make = (connection: RabbitmqConnection | undefined) =>
  Effect.gen(function* () {
    if (connection === undefined) {
      return yield* Effect.fail(destinationError("misconfigured", "rabbitmq: a connection is required"))
    }
    const { options, socket } = linkOptions(connection)
    const link = yield* Effect.acquireRelease(
      Effect.sync(() => makeAmqpLink(options, socket)),
      (link) => Effect.promise(() => link.close())
    )
    // Open now, so wrong credentials or vhost stop startup; a broker that is down does not
    // (sends fail retryable until it is back, and each send tries to reconnect).
    yield* Effect.tryPromise({ try: () => link.open(), catch: (e) => amqpError(e, []) }).pipe(
      Effect.catch((failure) =>
        failure.retryable
          ? Effect.logWarning("rabbitmq: broker not reachable yet; sends will retry", { error: failure.message })
          : Effect.fail(failure)
      )
    )

    const send = (delivery: Delivery<RabbitmqConfig>): Effect.Effect<Receipt, DestinationError> => {
      const { config } = delivery
      const target = targetOf(config)
      const body = messageBody(delivery)
      const properties = {
        messageId: delivery.idempotencyKey,
        correlationId: delivery.eventId,
        persistent: config.persistent,
        contentType: body.contentType,
        appId: "hookstream",
        timestamp: Math.floor(Date.now() / 1000),
        headers: messageHeaders(delivery, config.headers, config.forward_headers)
      }
      const names = [config.exchange ?? config.queue ?? ""]
      return abortable(
        (signal) => link.publish(target, body.bytes, properties, signal).then(() => confirmed),
        (cause) => amqpError(cause, names)
      )
    }

    return { send }
  })

export const rabbitmqDestination: DestinationRuntime<RabbitmqConfig, RabbitmqConnection> = {
  make
}
