/**
 * The producer port on @platformatic/kafka: measured 1.36× the events/s of KafkaJS at 0.73×
 * the CPU per event on hookstream's result records (docs/benchmarks.md).
 *
 * Its traps, handled here:
 * - its default partitioner is not the Java client's (it uses the murmur2 hash unmasked): keys
 *   go through its compatibility partitioner, so a key lands on the partition KafkaJS and Java
 *   put it on (test/integration/kafka/partitioner.test.ts); keyless records go round-robin;
 * - its `timeout` is both the produce acknowledgement timeout and the transaction timeout;
 * - it initialises a producer id with producer id 0 and epoch 0 unless told otherwise, which the
 *   broker answers with PRODUCER_FENCED once the transactional id has a history (a restart, a
 *   rerun replay, a successor fencing a zombie): -1/-1, as the Java client sends, asks for the
 *   id's current producer and a bumped epoch;
 * - it commits consumer offsets in a transaction only for records its own consumer read
 *   (`addOffset` takes the consumer's group metadata, and concurrent calls are merged into one
 *   request): hookstream's consumer is KafkaJS's, so transactions with offsets stay on KafkaJS
 *   (`transactionalOffsets: false`).
 */
import {
  type CompressionAlgorithmValue,
  compatibilityPartitioner,
  type MessageToProduce,
  Producer,
  type ProducerOptions,
  type SASLOptions
} from "@platformatic/kafka"
import type { KafkaClientOptions } from "../kafkaClient.ts"
import type { DriverOptions, DriverTransaction, ProducerDriver, ProducerRecord } from "./ProducerDriver.ts"
import { ACK_TIMEOUT_MS, retryDelayMs } from "./producerSettings.ts"

type Data = Buffer | string
type Message = MessageToProduce<Data, Data, string, string>

const toBuffer = (data?: Data): Buffer | undefined =>
  data === undefined ? undefined : typeof data === "string" ? Buffer.from(data) : data

const toMessage = (r: ProducerRecord): Message =>
  r.key === null
    ? { topic: r.topic, value: r.value, headers: r.headers }
    : { topic: r.topic, key: r.key, value: r.value, headers: r.headers }

const NO_COMPRESSION: CompressionAlgorithmValue = "none"

const SASL_MECHANISMS = { plain: "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512" } as const

const saslFor = (sasl: NonNullable<KafkaClientOptions["sasl"]>): SASLOptions => {
  if (!(sasl.mechanism in SASL_MECHANISMS) || !("username" in sasl))
    throw new Error(`SASL mechanism '${sasl.mechanism}' is not supported with --producer-client platformatic`)
  return {
    mechanism: SASL_MECHANISMS[sasl.mechanism as keyof typeof SASL_MECHANISMS],
    username: sasl.username,
    password: sasl.password
  }
}

/** Java's partitioner for keyed records; keyless ones spread round-robin per topic (as KafkaJS does). */
const javaCompatiblePartitioner = () => {
  const next = new Map<string, number>()
  return (message: Message, key: Buffer | undefined): number => {
    if (key !== undefined) return compatibilityPartitioner(message, key)
    const n = next.get(message.topic) ?? 0
    next.set(message.topic, (n + 1) & 0x7fffffff)
    return n
  }
}

export const platformaticProducerOptions = (
  connection: KafkaClientOptions,
  options: DriverOptions
): ProducerOptions<Data, Data, string, string> => ({
  clientId: connection.clientId,
  bootstrapBrokers: [...connection.brokers],
  connectTimeout: connection.connectionTimeoutMs ?? 3_000,
  idempotent: true,
  producerId: -1n,
  producerEpoch: -1,
  acks: -1,
  retries: Number.MAX_SAFE_INTEGER,
  retryDelay: (_client, _operation, attempt) => retryDelayMs(attempt),
  timeout: options.ackTimeoutMs ?? ACK_TIMEOUT_MS,
  compression: NO_COMPRESSION,
  partitioner: javaCompatiblePartitioner(),
  serializers: { key: toBuffer, value: toBuffer, headerKey: toBuffer, headerValue: toBuffer },
  ...(options.transactionalId === undefined ? {} : { transactionalId: options.transactionalId }),
  ...(connection.ssl === true ? { tls: {} } : {}),
  ...(connection.sasl === undefined ? {} : { sasl: saslFor(connection.sasl) })
})

export const platformaticDriver = (connection: KafkaClientOptions, options: DriverOptions = {}): ProducerDriver => {
  const producer = new Producer(platformaticProducerOptions(connection, options))
  // /readyz follows this producer's connections too (src/kafka/ConnectionWatch.ts)
  connection.watch?.observeBrokerEvents(producer)
  return {
    client: "platformatic",
    transactionalOffsets: false,
    // it connects on first use: ask for the cluster's metadata to find out now whether it can
    connect: async () => {
      await producer.metadata({ topics: [], retries: 2 })
    },
    disconnect: () => producer.close(),
    send: async (records) => {
      const result = await producer.send({ messages: records.map(toMessage) })
      return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) }))
    },
    begin: async (): Promise<DriverTransaction> => {
      const txn = await producer.beginTransaction()
      // the broker refuses to end a transaction it never saw (nothing sent: no partition added),
      // so one without records is dropped on this side only
      let sent = false
      return {
        send: async (records) => {
          sent = true
          await txn.send({ messages: records.map(toMessage) })
        },
        sendOffsets: () =>
          Promise.reject(new Error("@platformatic/kafka commits offsets only for its own consumer's records")),
        commit: () => (sent ? txn.commit() : txn.cancel()),
        abort: () => (txn.completed ? Promise.resolve() : sent ? txn.abort() : txn.cancel())
      }
    }
  }
}
