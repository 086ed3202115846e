/**
 * mqtt: publishes the payload as JSON to a topic (QoS 1 by default, so `send` resolves on
 * the broker's PUBACK). Connection required.
 *
 * - QoS 1 resolves on PUBACK, QoS 2 on PUBCOMP, QoS 0 once written to the socket (the broker
 *   acknowledges nothing at QoS 0). `retained` sets the retain flag.
 * - MQTT has no dedupe. With protocol_version 5 every message carries user properties
 *   hookstream-event-id, hookstream-webhook-id, hookstream-idempotency-key and traceparent
 *   (and a content type), so subscribers can dedupe; MQTT 3.1.1 has nowhere to put them.
 * - One mqtt.js client per connection entry; it reconnects by itself (every 2 s). While it is
 *   disconnected a send fails `unreachable` at once instead of queueing for a reconnect, and a
 *   publish in flight when the connection drops fails `unreachable` too, withdrawn from the
 *   client's outgoing store so the reconnect does not resend it behind the engine's back.
 * - Interruption withdraws the publish the same way; one already written may still arrive.
 * - Errors: mqtt/mqttError.ts.
 */
import { randomBytes } from "node:crypto"
import { Effect, Redacted, Semaphore } from "effect"
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from "mqtt"
import { type DestinationError, destinationError } from "../domain/DestinationError.ts"
import { abortable } from "./abortable.ts"
import { identityHeaders, messageBody } from "./brokerMessage.ts"
import type { Delivery, DestinationRuntime, Receipt } from "./Destination.ts"
import type { MqttConfig, MqttConnection } from "./mqtt/MqttConfig.ts"
import { mqttError } from "./mqtt/mqttError.ts"

/** bounds the TCP connect and the CONNACK */
const CONNECT_TIMEOUT_MS = 5_000
const RECONNECT_PERIOD_MS = 2_000
/** how long closing waits for a clean DISCONNECT before dropping the socket */
const END_TIMEOUT_MS = 2_000
/** MQTT 5's default Receive Maximum */
const MAX_RECEIVE = 65_535

const clientOptions = (connection: MqttConnection): IClientOptions => ({
  ...(connection.url === undefined
    ? { host: connection.host ?? "", port: connection.port, protocol: connection.tls ? "mqtts" : "mqtt" }
    : {}),
  ...(connection.username === undefined ? {} : { username: connection.username }),
  ...(connection.password === undefined ? {} : { password: Redacted.value(connection.password) }),
  clientId: connection.client_id ?? `hookstream-${randomBytes(6).toString("hex")}`,
  protocolVersion: connection.protocol_version,
  keepalive: Math.max(1, Math.round(connection.keepalive / 1000)),
  clean: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  reconnectPeriod: RECONNECT_PERIOD_MS,
  // a refused CONNACK (server unavailable, busy) must not stop reconnecting for good
  reconnectOnConnackError: true,
  queueQoSZero: false,
  resubscribe: false
})

const endClient = (client: MqttClient): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => client.end(true, {}, () => resolve()), END_TIMEOUT_MS)
    client.end(false, {}, () => {
      clearTimeout(timer)
      resolve()
    })
  })

const acked = { 0: { detail: "written (QoS 0: no broker ack)" }, 1: { detail: "PUBACK" }, 2: { detail: "PUBCOMP" } }

const make = (connection: MqttConnection | undefined) =>
  Effect.gen(function* () {
    if (connection === undefined) {
      return yield* Effect.fail(destinationError("misconfigured", "mqtt: a connection is required"))
    }
    const options = clientOptions(connection)
    let lastError: unknown
    // QoS 1/2 publishes in flight at once: at most the broker's Receive Maximum (MQTT 5
    // CONNACK; absent means 65535): Mosquitto (20) refuses QoS 2 beyond it with "Quota exceeded"
    const window = Semaphore.makeUnsafe(MAX_RECEIVE)
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const created =
          connection.url === undefined ? mqtt.connect(options) : mqtt.connect(Redacted.value(connection.url), options)
        // an 'error' without a listener would throw; sends report the latest one while offline
        created.on("error", (error) => {
          lastError = error
        })
        created.on("connect", (connack) => {
          lastError = undefined
          Effect.runFork(window.resize(connack.properties?.receiveMaximum ?? MAX_RECEIVE))
        })
        return created
      }),
      (client) => Effect.promise(() => endClient(client))
    )

    // Wait for the first CONNACK, so wrong credentials stop startup; a broker that is down
    // does not (the client keeps reconnecting, sends fail retryable meanwhile).
    yield* Effect.callback<void, DestinationError>((resume) => {
      const onConnect = () => resume(Effect.void)
      const onError = (error: Error) => resume(Effect.fail(mqttError(error)))
      client.once("connect", onConnect).once("error", onError)
      return Effect.sync(() => {
        client.off("connect", onConnect).off("error", onError)
      })
    }).pipe(
      Effect.timeout(CONNECT_TIMEOUT_MS),
      Effect.catch((failure) =>
        "retryable" in failure && !failure.retryable
          ? Effect.fail(failure)
          : Effect.logWarning("mqtt: broker not reachable yet; sends will retry", { error: failure.message })
      )
    )

    /** sends waiting for their ack: a dropped connection fails them at once */
    const inFlight = new Set<(error: DestinationError) => void>()
    client.on("close", () => {
      const lost = destinationError("unreachable", "mqtt: the connection dropped before the broker acknowledged")
      for (const fail of inFlight) fail(lost)
    })

    /** drops a publish from mqtt.js's outgoing store (it calls back "Message removed", ignored) */
    const withdraw = (callback: unknown) => {
      for (const [id, entry] of Object.entries(client.outgoing)) {
        if (entry.cb === callback) client.removeOutgoingMessage(Number(id))
      }
    }

    const notConnected = (): DestinationError => {
      const cause = lastError === undefined ? undefined : mqttError(lastError)
      return cause !== undefined && !cause.retryable
        ? cause
        : destinationError(
            "unreachable",
            `mqtt: not connected to the broker${cause === undefined ? "" : ` (${cause.message})`}`
          )
    }

    const publish = (delivery: Delivery<MqttConfig>, signal: AbortSignal): Promise<Receipt> =>
      new Promise((resolve, reject) => {
        if (!client.connected) return reject(notConnected())
        const { config } = delivery
        const body = messageBody(delivery)
        const publishOptions: IClientPublishOptions = {
          qos: config.qos,
          retain: config.retained,
          ...(connection.protocol_version === 5
            ? {
                properties: {
                  userProperties: identityHeaders(delivery),
                  contentType: body.contentType,
                  payloadFormatIndicator: body.contentType === "application/json"
                }
              }
            : {})
        }
        let settled = false
        const settle = (): boolean => {
          if (settled) return false
          settled = true
          inFlight.delete(fail)
          signal.removeEventListener("abort", onAbort)
          return true
        }
        const callback = (error?: Error) => {
          if (!settle()) return
          if (error === undefined || error === null) resolve(acked[config.qos])
          else reject(error)
        }
        function fail(error: unknown) {
          if (!settle()) return
          withdraw(callback)
          reject(error)
        }
        const onAbort = () => fail(signal.reason)
        signal.addEventListener("abort", onAbort, { once: true })
        inFlight.add(fail)
        client.publish(config.topic, body.bytes, publishOptions, callback)
      })

    const send = (delivery: Delivery<MqttConfig>): Effect.Effect<Receipt, DestinationError> => {
      const publishing = abortable((signal) => publish(delivery, signal), mqttError)
      return delivery.config.qos === 0 ? publishing : window.withPermits(1)(publishing)
    }

    return { send }
  })

export const mqttDestination: DestinationRuntime<MqttConfig, MqttConnection> = {
  make
}
