/**
 * The DLQ as a Stream of decoded, filtered entries, read from the start of the log (or the
 * filter's `--from-offset`) to the end offsets at the moment of the call. What `dlq stats`,
 * `dlq list` and `dlq show` read; the replay uses the same reader and filter.
 */
import { Effect, Stream } from "effect"
import type { Kafka } from "kafkajs"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { type PartitionRange, readTopic, topicOffsets } from "../kafka/TopicReader.ts"
import { type Coordinate, type DlqEntry, decodeDlqEntry } from "./DlqEntry.ts"
import { type DlqFilter, matches, offsetFloor } from "./DlqFilter.ts"

export interface DlqReadOptions {
  readonly topic: string
  readonly filter?: DlqFilter
  /** read only these partitions (default: all) */
  readonly partitions?: ReadonlyArray<number>
}

const clamp = (value: bigint, low: bigint, high: bigint) => (value < low ? low : value > high ? high : value)

export const readDlq = (kafka: Kafka, options: DlqReadOptions): Stream.Stream<DlqEntry, KafkaError> =>
  Stream.unwrap(
    Effect.map(topicOffsets(kafka, options.topic), (offsets) => {
      const filter = options.filter ?? {}
      const ranges: ReadonlyArray<PartitionRange> = offsets.map(({ partition, low, end }) => {
        const included = options.partitions === undefined || options.partitions.includes(partition)
        const stop = BigInt(end)
        const from = included ? clamp(offsetFloor(filter, partition), BigInt(low), stop) : stop
        return { partition, start: from.toString(), end }
      })
      return readTopic(kafka, { topic: options.topic, ranges }).pipe(
        Stream.flatMap((batch) => Stream.fromIterable(batch.records)),
        Stream.map(decodeDlqEntry),
        Stream.filter((entry) => matches(filter, entry))
      )
    })
  )

/** The record at one coordinate (or nothing: out of range, deleted by retention, a marker). */
export const readAt = (kafka: Kafka, at: Coordinate): Effect.Effect<DlqEntry | undefined, KafkaError> =>
  readDlq(kafka, {
    topic: at.topic,
    partitions: [at.partition],
    filter: { fromOffsets: [{ partition: at.partition, offset: BigInt(at.offset) }] }
  }).pipe(
    Stream.filter((e) => e.coordinate.offset === at.offset),
    Stream.take(1),
    Stream.runCollect,
    Effect.map((entries) => entries[0])
  )
