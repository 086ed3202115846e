/**
 * Reads a topic between offsets captured up front, as a Stream of batches: what the DLQ
 * tools and the replay need. `read_committed`, so records of aborted transactions never
 * show, and each batch says how far it got (`next`, past any transaction markers), so a
 * reader can record an exact position. The Stream ends once every partition reached its end
 * offset; records produced after the snapshot are not read (a replay never chases the
 * dead letters it causes).
 *
 * KafkaJS only reads through consumer groups: a throw-away group (nothing is committed to
 * it) with explicit seeks. Its fetch loop hands batches over through a small bounded queue,
 * so reading waits for the stream's consumer (backpressure), and closing the stream stops
 * the consumer and leaves the group.
 */
import { randomUUID } from "node:crypto"
import { Cause, Effect, Queue, Stream } from "effect"
import type { Consumer, Kafka } from "kafkajs"
import { decodeHeaders, type InputRecord as RawRecord } from "./InputRecord.ts"
import { type KafkaError, toKafkaError } from "./KafkaError.ts"

export interface PartitionRange {
  readonly partition: number
  /** first offset to read */
  readonly start: string
  /** stop before this offset */
  readonly end: string
}

export interface ReadBatch {
  readonly partition: number
  /** data records in [start, end), in offset order; may be empty */
  readonly records: ReadonlyArray<RawRecord>
  /** the partition's position after this batch: every offset below it has been read */
  readonly next: string
}

export interface PartitionOffsets {
  readonly partition: number
  /** the oldest offset still in the log */
  readonly low: string
  /** the last stable offset: below it, every record is committed or aborted */
  readonly end: string
}

/** Runs `use` with a connected admin client, which is always disconnected after. */
export const withAdmin = <A>(kafka: Kafka, operation: string, use: (admin: ReturnType<Kafka["admin"]>) => Promise<A>) =>
  Effect.tryPromise({
    try: async () => {
      const admin = kafka.admin()
      await admin.connect()
      try {
        return await use(admin)
      } finally {
        await admin.disconnect().catch(() => undefined)
      }
    },
    catch: (e) => toKafkaError(operation, e)
  })

/** Low and end (last stable) offsets of every partition of `topic`, sorted by partition. */
export const topicOffsets = (kafka: Kafka, topic: string): Effect.Effect<ReadonlyArray<PartitionOffsets>, KafkaError> =>
  withAdmin(kafka, "admin.fetchTopicOffsets", async (admin) => {
    // KafkaJS lists offsets read_committed: `high` is the last stable offset
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets
      .map((o) => ({ partition: o.partition, low: o.low, end: o.high }))
      .sort((a, b) => a.partition - b.partition)
  })

/** The offsets `groupId` committed on `topic` (partitions without a commit are absent). */
export const committedOffsets = (
  kafka: Kafka,
  groupId: string,
  topic: string
): Effect.Effect<ReadonlyMap<number, string>, KafkaError> =>
  withAdmin(kafka, "admin.fetchOffsets", async (admin) => {
    const result = await admin.fetchOffsets({ groupId, topics: [topic] })
    const out = new Map<number, string>()
    for (const t of result) for (const p of t.partitions) if (Number(p.offset) >= 0) out.set(p.partition, p.offset)
    return out as ReadonlyMap<number, string>
  })

/** The topics that exist, among `topics`. */
export const existingTopics = (
  kafka: Kafka,
  topics: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<string>, KafkaError> =>
  withAdmin(kafka, "admin.listTopics", async (admin) => {
    const all = new Set(await admin.listTopics())
    return topics.filter((t) => all.has(t))
  })

export interface ReadTopicOptions {
  readonly topic: string
  readonly ranges: ReadonlyArray<PartitionRange>
  readonly clientGroupPrefix?: string
  /** bytes fetched per partition and request (default 1 MiB) */
  readonly maxBytesPerPartition?: number
}

const big = (offset: string): bigint => BigInt(offset)
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b)

export const readTopic = (kafka: Kafka, options: ReadTopicOptions): Stream.Stream<ReadBatch, KafkaError> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const { topic } = options
      const end = new Map(options.ranges.map((r) => [r.partition, big(r.end)]))
      const position = new Map(options.ranges.map((r) => [r.partition, big(r.start)]))
      const open = new Set(options.ranges.filter((r) => big(r.start) < big(r.end)).map((r) => r.partition))
      if (open.size === 0) return Stream.empty
      const queue = yield* Queue.bounded<ReadBatch, KafkaError | Cause.Done>(2)
      const consumer: Consumer = kafka.consumer({
        groupId: `${options.clientGroupPrefix ?? "hookstream-read"}-${randomUUID()}`,
        readUncommitted: false,
        allowAutoTopicCreation: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        // disconnecting waits for the fetch in flight; keep the long poll short
        maxWaitTimeInMs: 250,
        maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576
      })
      let closing = false
      const settle = (partition: number, next: bigint) => {
        const limit = end.get(partition) ?? 0n
        const clamped = min(next, limit)
        if (clamped > (position.get(partition) ?? 0n)) position.set(partition, clamped)
        if (clamped >= limit && open.delete(partition)) {
          consumer.pause([{ topic, partitions: [partition] }])
          if (open.size === 0) Queue.endUnsafe(queue)
        }
      }
      yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            await consumer.connect()
            await consumer.subscribe({ topics: [topic], fromBeginning: true })
          },
          catch: (e) => toKafkaError("consumer.connect", e)
        }),
        () =>
          Effect.andThen(
            Effect.sync(() => {
              closing = true
            }),
            Effect.andThen(
              Queue.shutdown(queue),
              Effect.promise(() => consumer.disconnect().catch(() => undefined))
            )
          )
      )
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const assigned = e.payload.memberAssignment[topic] ?? []
        const done = assigned.filter((p) => !open.has(p))
        if (done.length > 0) consumer.pause([{ topic, partitions: done }])
        for (const p of assigned) {
          const at = position.get(p)
          if (open.has(p) && at !== undefined) consumer.seek({ topic, partition: p, offset: at.toString() })
        }
      })
      // a fetch holding only transaction markers or aborted records never reaches eachBatch
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        const { payload } = e
        if (closing || payload.topic !== topic || payload.batchSize !== 0 || !open.has(payload.partition)) return
        settle(payload.partition, big(payload.lastOffset) + 1n)
      })
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart && !closing)
          Queue.failCauseUnsafe(queue, Cause.fail(toKafkaError("consumer.run", e.payload.error)))
      })
      yield* Effect.tryPromise({
        try: () =>
          consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 1,
            eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
              const partition = batch.partition
              if (closing || !isRunning() || isStale() || !open.has(partition)) return
              const from = position.get(partition) ?? 0n
              const limit = end.get(partition) ?? 0n
              const records: Array<RawRecord> = []
              for (const m of batch.messages) {
                const offset = big(m.offset)
                if (offset < from || offset >= limit) continue
                records.push({
                  topic,
                  partition,
                  offset: m.offset,
                  key: m.key ?? null,
                  value: m.value ?? null,
                  headers: decodeHeaders(m.headers),
                  timestamp: Number(m.timestamp)
                })
              }
              const next = min(big(batch.lastOffset()) + 1n, limit)
              if (next <= from) return
              try {
                const offered = await Effect.runPromise(
                  Queue.offer(queue, { partition, records, next: next.toString() })
                )
                if (!offered) return
              } catch {
                return // shut down while waiting for room
              }
              const last = batch.messages.at(-1)
              if (last !== undefined) resolveOffset(last.offset)
              settle(partition, next)
            }
          }),
        catch: (e) => toKafkaError("consumer.run", e)
      })
      return Stream.fromQueue(queue)
    })
  )

/** Every record a read_committed consumer sees on `topic` now, from its oldest offset to its end. */
export const readCommitted = (kafka: Kafka, topic: string): Effect.Effect<ReadonlyArray<RawRecord>, KafkaError> =>
  Effect.gen(function* () {
    const offsets = yield* topicOffsets(kafka, topic)
    const ranges = offsets.map((o) => ({ partition: o.partition, start: o.low, end: o.end }))
    const batches = yield* Stream.runCollect(readTopic(kafka, { topic, ranges }))
    return Array.from(batches).flatMap((b) => b.records)
  })
