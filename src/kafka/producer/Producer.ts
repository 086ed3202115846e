/**
 * An idempotent producer (acks=all) of the chosen client, connected for the enclosing Scope.
 * `send` cuts the records into requests under the broker's size limit and sends them one after
 * the other, so order holds within each partition; it resolves once all are acknowledged.
 */
import { Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { type KafkaError, toKafkaError } from "../KafkaError.ts"
import { chunksByBytes } from "./batching.ts"
import { makeDriver } from "./makeDriver.ts"
import type { ProducerClient, ProducerDriver, ProducerRecord, RecordPosition } from "./ProducerDriver.ts"

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
}

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
  options: ProducerOptions
): Effect.Effect<Producer, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const driver = makeDriver(kafka, options.client, {
      ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs })
    })
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => driver.connect(), catch: (e) => toKafkaError("producer.connect", e) }),
      () => Effect.promise(() => driver.disconnect().catch(() => undefined))
    )
    const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
    return {
      client: options.client,
      send: (records) =>
        Effect.tryPromise({
          try: () => sendInChunks(driver, records, maxBytes),
          catch: (e) => toKafkaError("producer.send", e)
        })
    }
  })
