/**
 * An idempotent producer (acks=all) of the chosen client, connected for the enclosing Scope.
 * `send` cuts the records into requests under the broker's size limit and sends them one after
 * the other, so order holds within each partition; it resolves once all are acknowledged.
 *
 * The clients retry inside without limit (producerSettings.ts), which is right while the
 * cluster moves leaders, and wrong when the client itself is wedged: after a leader's SIGKILL
 * @platformatic/kafka was seen retrying against the dead broker for minutes after the cluster
 * had recovered (chaos broker_failover: every partition's outcomes stopped). So a send has a
 * delivery deadline, as the Java client's delivery.timeout.ms: past it the client is replaced
 * (closed, a new one connected in the background) and the send fails, retriable; the caller's
 * retry goes through the new client. Records the old one still delivers are at-least-once
 * duplicates, which this producer's callers accept (transactions use TransactionalProducer).
 */
import { Duration, Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { KafkaError, toKafkaError } from "../KafkaError.ts"
import { chunksByBytes } from "./batching.ts"
import { makeDriver } from "./makeDriver.ts"
import type { ProducerClient, ProducerDriver, ProducerRecord, RecordPosition } from "./ProducerDriver.ts"
import { type DriverFactory, makeReplaceableDriver } from "./ReplaceableDriver.ts"

/**
 * Bytes per produce request when the caller knows no limit: the broker refuses a record batch
 * over `max.message.bytes` (1 MiB by default) and a client writes one batch per partition.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024

export interface Producer {
  readonly client: ProducerClient
  readonly send: (records: ReadonlyArray<ProducerRecord>) => Effect.Effect<ReadonlyArray<RecordPosition>, KafkaError>
}

export interface ProducerOptions {
  readonly client: ProducerClient
  /** bytes per produce request, at most (the topics' record limit) */
  readonly maxRequestBytes?: number
  readonly ackTimeoutMs?: number
  /** a send not acknowledged within this replaces the client (default 45 s: above a leader
   * election's worst case of a broker session timeout plus the ack timeout's first expiry) */
  readonly deliveryTimeoutMs?: number
}

export const DELIVERY_TIMEOUT_MS = 45_000

/** Sends `records` in requests of at most `maxBytes`, one after the other; the client's error as it comes. */
export const sendInChunks = async (
  driver: ProducerDriver,
  records: ReadonlyArray<ProducerRecord>,
  maxBytes: number
): Promise<ReadonlyArray<RecordPosition>> => {
  const chunks = chunksByBytes(records, maxBytes)
  if (chunks.length === 1) return driver.send(chunks[0] as ReadonlyArray<ProducerRecord>)
  const positions: Array<RecordPosition> = []
  for (const chunk of chunks) positions.push(...(await driver.send(chunk)))
  return positions
}

export const makeProducer = (
  kafka: Kafka,
  options: ProducerOptions,
  driverFactory?: DriverFactory
): Effect.Effect<Producer, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const newDriver =
      driverFactory ??
      (() =>
        makeDriver(kafka, options.client, {
          ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs })
        }))
    const client = yield* makeReplaceableDriver(newDriver)
    yield* client.connect
    const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
    const deadline = Duration.millis(options.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS)

    const notConnected = new KafkaError({
      operation: "producer.send",
      message: "the producer is reconnecting to Kafka (its previous client was replaced)",
      retriable: true,
      fenced: false,
      code: ""
    })

    return {
      client: options.client,
      send: (records) =>
        Effect.suspend(() => {
          if (!client.connected()) return Effect.fail(notConnected)
          const current = client.current()
          return Effect.tryPromise({
            try: () => sendInChunks(current, records, maxBytes),
            catch: (e) => toKafkaError("producer.send", e)
          }).pipe(
            Effect.timeoutOrElse({
              duration: deadline,
              orElse: () =>
                Effect.andThen(
                  current === client.current()
                    ? Effect.andThen(
                        Effect.logWarning(
                          `no acknowledgement within ${Duration.format(deadline)}: replacing the producer's Kafka client`
                        ),
                        client.replace
                      )
                    : Effect.void,
                  Effect.fail(
                    new KafkaError({
                      operation: "producer.send",
                      message: `no acknowledgement within ${Duration.format(deadline)} (the client was replaced)`,
                      retriable: true,
                      fenced: false,
                      code: "DELIVERY_TIMEOUT"
                    })
                  )
                )
            })
          )
        })
    }
  })
