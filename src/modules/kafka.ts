/**
 * kafka: produces the payload as a JSON record to a topic. The record key is a literal or
 * template (`key`) or read from the payload (`key_from`, a JSON Pointer); without either the
 * input record's key is reused, so per-key ordering carries through. Connection required.
 *
 * One idempotent producer (acks=all) per connection, batching concurrent deliveries
 * (kafka/ProduceQueue.ts). Records carry `hookstream-idempotency-key`, `hookstream-event-id`,
 * `hookstream-webhook-id` and `traceparent` headers. No dedupe across separate sends: the
 * idempotent producer only drops its own retries, so a redelivery is a second record and
 * consumers dedupe by `hookstream-idempotency-key`. A produce already sent when the delivery
 * is interrupted cannot be recalled (KafkaJS has no abort): the engine stops waiting at once
 * and the record may still land.
 */
import { Effect, Redacted } from "effect"
import { logLevel } from "kafkajs"
import { DestinationError, destinationError } from "../domain/DestinationError.ts"
import { makeKafka } from "../kafka/kafkaClient.ts"
import { kafkajsDriver } from "../kafka/producer/kafkajsDriver.ts"
import { DEFAULT_MAX_REQUEST_BYTES, sendInChunks } from "../kafka/producer/Producer.ts"
import type { Delivery, DestinationRuntime, Receipt } from "./Destination.ts"
import type { KafkaConfig, KafkaConnection } from "./kafka/KafkaConfig.ts"
import { kafkaDestinationError } from "./kafka/kafkaDestinationError.ts"
import { makeProduceQueue } from "./kafka/ProduceQueue.ts"
import { recordFor } from "./kafka/recordFor.ts"

/** Connects and metadata lookups give up after about 1.5 s of refusals; sends never do (see below). */
const CLIENT_RETRY = { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 }

export const kafkaDestination: DestinationRuntime<KafkaConfig, KafkaConnection> = {
  make: (connection) =>
    Effect.gen(function* () {
      if (connection === undefined) {
        return yield* Effect.fail(destinationError("misconfigured", "the kafka destination needs a connection"))
      }
      const kafka = makeKafka({
        brokers: connection.brokers,
        clientId: connection.client_id,
        connectionTimeoutMs: 3_000,
        retry: CLIENT_RETRY,
        // every failure reaches the outcome as a DestinationError; KafkaJS's own ERROR lines
        // would repeat it once per internal retry
        logLevel: logLevel.NOTHING,
        ssl: connection.ssl,
        ...(connection.sasl === undefined
          ? {}
          : {
              sasl: {
                mechanism: connection.sasl.mechanism,
                username: connection.sasl.username,
                password: Redacted.value(connection.sasl.password)
              }
            })
      })
      // the kit's settings (kafka/producer/producerSettings.ts): idempotent, acks=all, retries
      // without limit inside the client (the engine's deadline bounds the wait), Java's partitioner
      const producer = kafkajsDriver(kafka)
      const admin = kafka.admin()

      // Connected on first use, so a broker that is down when streams load delays deliveries
      // (retryable) instead of failing startup.
      let connecting: Promise<void> | undefined
      const ready = () => {
        connecting ??= Promise.all([producer.connect(), admin.connect()]).then(
          () => undefined,
          (error: unknown) => {
            connecting = undefined
            throw error
          }
        )
        return connecting
      }
      // A missing topic is a config error; KafkaJS would retry UNKNOWN_TOPIC_OR_PARTITION forever.
      const knownTopics = new Set<string>()
      const checkTopic = async (topic: string): Promise<DestinationError | undefined> => {
        if (knownTopics.has(topic)) return undefined
        try {
          await admin.fetchTopicMetadata({ topics: [topic] })
          knownTopics.add(topic)
          return undefined
        } catch (error) {
          return kafkaDestinationError(error, topic)
        }
      }
      const queue = yield* makeProduceQueue({
        ready,
        checkTopic,
        send: (records) => sendInChunks(producer, records, DEFAULT_MAX_REQUEST_BYTES)
      })
      yield* Effect.addFinalizer(() =>
        Effect.promise(async () => {
          queue.close()
          await Promise.allSettled([producer.disconnect(), admin.disconnect()])
        })
      )

      const send = (delivery: Delivery<KafkaConfig>): Effect.Effect<Receipt, DestinationError> => {
        const record = recordFor(delivery)
        return record instanceof DestinationError ? Effect.fail(record) : queue.produce(record)
      }
      return { send }
    })
}
