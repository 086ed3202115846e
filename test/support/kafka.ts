import { randomBytes } from "node:crypto"
import { type Admin, type IHeaders, type Kafka, logLevel } from "kafkajs"
import { inject } from "vitest"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import { waitFor } from "./waitFor.ts"

/** Bootstrap servers of the run's broker (test/support/globalSetup.ts). */
export const kafkaBrokers = (): string => inject("kafkaBrokers")

/**
 * A client for the run's broker, made as the CLI makes its own (so a platformatic producer can
 * connect with its settings); quiet, because KafkaJS logs retried protocol errors as ERROR.
 */
export const testKafka = (clientId: string): Kafka =>
  makeKafka({ clientId, brokers: kafkaBrokers().split(","), logLevel: logLevel.NOTHING })

/** `prefix-<random>`: topics and groups never collide between tests, files or reruns on one broker. */
export const uniqueName = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`

export interface TopicSpec {
  readonly topic: string
  readonly numPartitions?: number
}

/** Creates topics and waits until each partition has a leader, so the first produce does not race. */
export const createTopics = async (kafka: Kafka, topics: ReadonlyArray<TopicSpec>): Promise<void> => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({
      topics: topics.map(({ topic, numPartitions = 1 }) => ({ topic, numPartitions, replicationFactor: 1 })),
      waitForLeaders: true
    })
  } finally {
    await admin.disconnect()
  }
}

/** Runs `use` with a connected admin client and always disconnects it. */
export const withAdmin = async <A>(kafka: Kafka, use: (admin: Admin) => Promise<A>): Promise<A> => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect()
  }
}

export interface ConsumedRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly key: string | null
  readonly value: string | null
  readonly headers: IHeaders
}

export interface ConsumeOptions {
  readonly topic: string
  /** stop once this many records have arrived */
  readonly count: number
  /** default: a fresh unique group, so nothing was committed before */
  readonly groupId?: string
  /** default true (read_committed), as hookstream's own consumers */
  readonly readCommitted?: boolean
  readonly timeoutMs?: number
}

/**
 * Consumes a topic from the beginning until `count` records have arrived, without committing,
 * and returns every record received by then (so a test can see unexpected extras that came in
 * the same fetch). Fails with a timeout naming how many of `count` arrived.
 */
export const consumeRecords = async (kafka: Kafka, options: ConsumeOptions): Promise<Array<ConsumedRecord>> => {
  const consumer = kafka.consumer({
    groupId: options.groupId ?? uniqueName("consume"),
    readUncommitted: options.readCommitted === false,
    sessionTimeout: 6000,
    // disconnect() waits for the fetch in flight; the default 5 s long poll would be paid by every call.
    maxWaitTimeInMs: 250
  })
  const records: Array<ConsumedRecord> = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString("utf8") ?? null,
          value: message.value?.toString("utf8") ?? null,
          headers: message.headers ?? {}
        })
      }
    })
    await waitFor(() => records.length >= options.count, {
      timeoutMs: options.timeoutMs ?? 20_000,
      description: () => `${options.count} records from ${options.topic} (got ${records.length})`
    })
    return records
  } finally {
    await consumer.disconnect()
  }
}
