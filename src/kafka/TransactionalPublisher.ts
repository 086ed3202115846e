/**
 * A transactional producer for work that consumes one topic and produces to another with
 * exactly-once effect (the replay): every `commit` is one Kafka transaction holding the
 * records and, optionally, the consumer position to record for a group (`sendOffsets`), so
 * both become visible together or not at all. Readers with read_committed (the processor)
 * never see the records of a transaction that did not commit.
 *
 * `fence` initialises the producer id for the transactional id: a previous producer with
 * the same id (a killed run) is fenced and its open transaction aborted before this one
 * reads the committed position. A commit is uninterruptible: once started it finishes
 * (or aborts), so an interrupt never leaves a transaction half-sent by this process.
 */
import { Effect, type Scope } from "effect"
import { CompressionTypes, type Kafka, type Message, Partitioners, type Producer } from "kafkajs"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"
import type { CommitOffsets } from "./OutcomeProducer.ts"

export interface PublishRecord {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: Buffer | string
  readonly headers: Readonly<Record<string, string>>
}

/** A transaction in progress: records sent into it stay invisible to read_committed readers until `commit`. */
export interface OpenTransaction {
  readonly send: (records: ReadonlyArray<PublishRecord>) => Effect.Effect<void, KafkaError>
  /** records the offsets (when given) and commits; aborts and fails on any failure */
  readonly commit: (offsets?: CommitOffsets) => Effect.Effect<void, KafkaError>
  /** aborts; never fails (a transaction that cannot be aborted is aborted by the broker's timeout or the next fence) */
  readonly abort: Effect.Effect<void>
}

export interface TransactionalPublisher {
  /** fences earlier producers of the same transactional id (aborting their open transaction) */
  readonly fence: Effect.Effect<void, KafkaError>
  /** begins a transaction (one at a time) */
  readonly begin: Effect.Effect<OpenTransaction, KafkaError>
  /** one transaction: the records, then the offsets, then commit; aborted on any failure */
  readonly commit: (records: ReadonlyArray<PublishRecord>, offsets?: CommitOffsets) => Effect.Effect<void, KafkaError>
}

export interface TransactionalPublisherOptions {
  readonly transactionalId: string
  /** how long the broker lets a transaction stay open before aborting it (ms) */
  readonly transactionTimeoutMs?: number
  /** ms the broker may take to acknowledge a send */
  readonly ackTimeoutMs?: number
}

const byTopic = (records: ReadonlyArray<PublishRecord>) => {
  const topics = new Map<string, Array<Message>>()
  for (const r of records) {
    let list = topics.get(r.topic)
    if (list === undefined) {
      list = []
      topics.set(r.topic, list)
    }
    list.push({ key: r.key, value: r.value, headers: { ...r.headers } })
  }
  return Array.from(topics, ([topic, messages]) => ({ topic, messages }))
}

/**
 * KafkaJS writes one record batch per partition and request, and the broker refuses a batch
 * over `max.message.bytes` (1 MiB by default): requests stay well under it.
 */
const MAX_REQUEST_BYTES = 512 * 1024

const sizeOf = (r: PublishRecord): number =>
  (typeof r.value === "string" ? Buffer.byteLength(r.value) : r.value.length) + (r.key?.length ?? 0) + 64

/** Consecutive chunks of at most `maxBytes` each (a larger record goes alone), order kept. */
export const chunksByBytes = <R extends PublishRecord>(
  records: ReadonlyArray<R>,
  maxBytes: number,
  size: (record: R) => number = sizeOf
): ReadonlyArray<ReadonlyArray<R>> => {
  const chunks: Array<Array<R>> = []
  let current: Array<R> = []
  let bytes = 0
  for (const r of records) {
    const bytesOf = size(r)
    if (current.length > 0 && bytes + bytesOf > maxBytes) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(r)
    bytes += bytesOf
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

export const makeTransactionalPublisher = (
  kafka: Kafka,
  options: TransactionalPublisherOptions
): Effect.Effect<TransactionalPublisher, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const producer: Producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: options.transactionalId,
      transactionTimeout: options.transactionTimeoutMs ?? 60_000,
      // the same partitioner as every other producer of the input topic: a key keeps its partition
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 }
    })
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => producer.connect(), catch: (e) => toKafkaError("producer.connect", e) }),
      () => Effect.promise(() => producer.disconnect().catch(() => undefined))
    )
    const timeout = options.ackTimeoutMs ?? 30_000
    const fence = Effect.tryPromise({
      try: async () => {
        // the first transaction initialises the producer id (InitProducerId), which fences
        // the previous holder of the id and aborts its open transaction; nothing is sent
        const txn = await producer.transaction()
        await txn.abort()
      },
      catch: (e) => toKafkaError("producer.initTransactions", e)
    })
    // every step is uninterruptible: an interrupt must not leave a request half-done behind
    // the caller's back; the caller aborts the transaction instead (see Replay.ts)
    const begin = Effect.uninterruptible(
      Effect.tryPromise({ try: () => producer.transaction(), catch: (e) => toKafkaError("producer.transaction", e) })
    ).pipe(
      Effect.map((txn): OpenTransaction => {
        const fail = (operation: string) => (e: unknown) => toKafkaError(operation, e)
        const abortQuietly = () => (txn.isActive() ? txn.abort().catch(() => undefined) : Promise.resolve())
        return {
          send: (records) =>
            records.length === 0
              ? Effect.void
              : Effect.uninterruptible(
                  Effect.tryPromise({
                    try: async () => {
                      try {
                        for (const chunk of chunksByBytes(records, MAX_REQUEST_BYTES))
                          await txn.sendBatch({
                            topicMessages: byTopic(chunk),
                            acks: -1,
                            timeout,
                            compression: CompressionTypes.None
                          })
                      } catch (e) {
                        await abortQuietly()
                        throw e
                      }
                    },
                    catch: fail("producer.send")
                  })
                ),
          commit: (offsets) =>
            Effect.uninterruptible(
              Effect.tryPromise({
                try: async () => {
                  try {
                    if (offsets !== undefined && offsets.partitions.length > 0) {
                      await txn.sendOffsets({
                        consumerGroupId: offsets.groupId,
                        topics: [{ topic: offsets.topic, partitions: offsets.partitions.map((p) => ({ ...p })) }]
                      })
                    }
                    await txn.commit()
                  } catch (e) {
                    await abortQuietly()
                    throw e
                  }
                },
                catch: fail("producer.commit")
              })
            ),
          abort: Effect.uninterruptible(Effect.promise(abortQuietly))
        }
      })
    )
    const commit = (records: ReadonlyArray<PublishRecord>, offsets?: CommitOffsets) =>
      Effect.flatMap(begin, (txn) => Effect.andThen(txn.send(records), txn.commit(offsets)))
    return { fence, begin, commit }
  })
