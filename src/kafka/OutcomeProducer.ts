/**
 * The producer of outcome records. At-least-once: idempotent, acks=all, one request in
 * flight (KafkaJS's idempotence requires it), so a record is acknowledged only once it is
 * on every in-sync replica and retries cannot reorder or duplicate it. Exactly-once: the
 * same producer made transactional; a commit is one transaction holding the outcomes of
 * the committed prefix plus `sendOffsets` for the consumer group.
 */
import { Effect, type Scope } from "effect"
import { CompressionTypes, type Kafka, type Message, Partitioners, type Producer, type TopicMessages } from "kafkajs"
import { DEFAULT_MAX_RECORD_BYTES, type OutputRecord, recordBytes } from "../outcomes/records.ts"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"
import { chunksByBytes } from "./TransactionalPublisher.ts"

export interface CommitOffsets {
  readonly groupId: string
  readonly topic: string
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly offset: string }>
}

export interface OutcomeProducer {
  readonly send: (records: ReadonlyArray<OutputRecord>) => Effect.Effect<void, KafkaError>
  /** exactly-once only: records and offsets in one transaction */
  readonly commitTransaction: (
    records: ReadonlyArray<OutputRecord>,
    offsets: CommitOffsets
  ) => Effect.Effect<void, KafkaError>
}

const toMessage = (r: OutputRecord): Message => ({ key: r.key, value: r.value, headers: { ...r.headers } })

/** Groups records by topic, keeping each topic's records in order. */
export const topicMessages = (records: ReadonlyArray<OutputRecord>): Array<TopicMessages> => {
  const byTopic = new Map<string, Array<Message>>()
  for (const r of records) {
    let list = byTopic.get(r.topic)
    if (list === undefined) {
      list = []
      byTopic.set(r.topic, list)
    }
    list.push(toMessage(r))
  }
  return Array.from(byTopic, ([topic, messages]) => ({ topic, messages }))
}

export interface OutcomeProducerOptions {
  /** set for exactly-once: stable per instance, so a restarted instance fences its zombie */
  readonly transactionalId?: string
  /** ms the broker may take to acknowledge */
  readonly timeoutMs?: number
  /** bytes per produce request, at most (the outcome topics' record limit; default Kafka's 1 MB) */
  readonly maxRequestBytes?: number
}

export const makeOutcomeProducer = (
  kafka: Kafka,
  options: OutcomeProducerOptions = {}
): Effect.Effect<OutcomeProducer, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const producer: Producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // an idempotent producer must keep retrying itself: giving up mid-sequence and sending
      // again from outside could break its sequence numbers (KafkaJS warns about exactly this)
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(options.transactionalId === undefined
        ? {}
        : { transactionalId: options.transactionalId, transactionTimeout: 60_000 })
    })
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => producer.connect(), catch: (e) => toKafkaError("producer.connect", e) }),
      () => Effect.promise(() => producer.disconnect().catch(() => undefined))
    )
    const timeout = options.timeoutMs ?? 30_000
    const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_RECORD_BYTES
    const send = (records: ReadonlyArray<OutputRecord>) =>
      Effect.tryPromise({
        try: async () => {
          for (const chunk of chunksByBytes(records, maxRequestBytes, recordBytes)) {
            await producer.sendBatch({
              topicMessages: topicMessages(chunk),
              acks: -1,
              timeout,
              compression: CompressionTypes.None
            })
          }
        },
        catch: (e) => toKafkaError("producer.send", e)
      })

    const commitTransaction = (records: ReadonlyArray<OutputRecord>, offsets: CommitOffsets) =>
      Effect.tryPromise({
        try: async () => {
          const txn = await producer.transaction()
          try {
            for (const chunk of chunksByBytes(records, maxRequestBytes, recordBytes)) {
              await txn.sendBatch({ topicMessages: topicMessages(chunk), acks: -1, timeout })
            }
            await txn.sendOffsets({
              consumerGroupId: offsets.groupId,
              topics: [{ topic: offsets.topic, partitions: offsets.partitions.map((p) => ({ ...p })) }]
            })
            await txn.commit()
          } catch (e) {
            await txn.abort().catch(() => undefined)
            throw e
          }
        },
        catch: (e) => toKafkaError("producer.transaction", e)
      })

    return { send, commitTransaction }
  })
