/**
 * The DLQ as a Stream of decoded, filtered entries, read up to the end offsets at the moment
 * of the call: what `dlq stats`, `dlq list`, `dlq show` and the console read (the replay uses
 * the same reader and filter). A read starts at the filter's `--from-offset` and, with
 * `--since`/`--until`, only covers the offsets the broker finds for those times (see
 * dlqRanges.ts); `readNewest` reads backwards from the end and stops once it has enough.
 * Both report how far they got, for progress on long scans.
 */
import { Effect, Stream } from "effect"
import type { Kafka } from "kafkajs"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { offsetsAtTime, type PartitionRange, readTopic, topicOffsets } from "../kafka/TopicReader.ts"
import { type Coordinate, type DlqEntry, decodeDlqEntry, failedAtOf } from "./DlqEntry.ts"
import { type DlqFilter, matches } from "./DlqFilter.ts"
import { chunkBelow, planDlqRanges, rangeSize, TIME_MARGIN_MS } from "./dlqRanges.ts"

/** DLQ offsets read so far, of those the read covers. */
export interface ScanProgress {
  readonly scanned: number
  readonly total: number
}

export interface DlqReadOptions {
  readonly topic: string
  readonly filter?: DlqFilter
  /** read only these partitions (default: all) */
  readonly partitions?: ReadonlyArray<number>
  /** called at the start and after every batch read */
  readonly onProgress?: (progress: ScanProgress) => void
}

/** The offsets a read of `filter` covers: the log now, narrowed by the filter's offsets and times. */
export const dlqRanges = (
  kafka: Kafka,
  topic: string,
  filter: DlqFilter,
  partitions?: ReadonlyArray<number>
): Effect.Effect<ReadonlyArray<PartitionRange>, KafkaError> =>
  Effect.gen(function* () {
    const offsets = yield* topicOffsets(kafka, topic)
    const atSince =
      filter.since === undefined ? undefined : yield* offsetsAtTime(kafka, topic, filter.since - TIME_MARGIN_MS)
    const atUntil =
      filter.until === undefined ? undefined : yield* offsetsAtTime(kafka, topic, filter.until + TIME_MARGIN_MS)
    return planDlqRanges(offsets, filter, {
      ...(partitions === undefined ? {} : { partitions }),
      ...(atSince === undefined ? {} : { atSince }),
      ...(atUntil === undefined ? {} : { atUntil })
    })
  })

/** Counts what a read covered, from each batch's position (markers and gaps included). */
const makeTally = (ranges: ReadonlyArray<PartitionRange>, onProgress: DlqReadOptions["onProgress"]) => {
  const position = new Map(ranges.map((r) => [r.partition, BigInt(r.start)]))
  const total = rangeSize(ranges)
  let scanned = 0
  onProgress?.({ scanned, total })
  return {
    advance: (partition: number, next: string) => {
      const at = BigInt(next)
      scanned += Number(at - (position.get(partition) ?? at))
      position.set(partition, at)
      onProgress?.({ scanned, total })
    },
    scanned: () => scanned
  }
}

export const readDlq = (kafka: Kafka, options: DlqReadOptions): Stream.Stream<DlqEntry, KafkaError> =>
  Stream.unwrap(
    Effect.map(dlqRanges(kafka, options.topic, options.filter ?? {}, options.partitions), (ranges) => {
      const filter = options.filter ?? {}
      const tally = makeTally(ranges, options.onProgress)
      return readTopic(kafka, { topic: options.topic, ranges }).pipe(
        Stream.flatMap((batch) => {
          tally.advance(batch.partition, batch.next)
          return Stream.fromIterable(batch.records)
        }),
        Stream.map(decodeDlqEntry),
        Stream.filter((entry) => matches(filter, entry))
      )
    })
  )

/**
 * The record at one coordinate (or nothing: out of range, deleted by retention, a marker).
 * Reads from that offset to the partition's end and stops at the first batch; the reading
 * consumer leaves its group in the background.
 */
export const readAt = (kafka: Kafka, at: Coordinate): Effect.Effect<DlqEntry | undefined, KafkaError> =>
  Effect.flatMap(topicOffsets(kafka, at.topic), (offsets) => {
    const range = offsets.find((o) => o.partition === at.partition)
    const offset = BigInt(at.offset)
    if (range === undefined || offset < BigInt(range.low) || offset >= BigInt(range.end)) return Effect.undefined
    return readTopic(kafka, {
      topic: at.topic,
      ranges: [{ partition: at.partition, start: at.offset, end: range.end }],
      clientGroupPrefix: "hookstream-read-at",
      closeInBackground: true
    }).pipe(
      Stream.flatMap((batch) => Stream.fromIterable(batch.records)),
      Stream.filter((r) => r.offset === at.offset),
      Stream.map(decodeDlqEntry),
      Stream.take(1),
      Stream.runCollect,
      Effect.map((entries): DlqEntry | undefined => entries[0])
    )
  })

/** Oldest first by failure time; ties in DLQ order. */
export const byFailedAt = (a: DlqEntry, b: DlqEntry): number =>
  failedAtOf(a) - failedAtOf(b) ||
  a.coordinate.partition - b.coordinate.partition ||
  (BigInt(a.coordinate.offset) < BigInt(b.coordinate.offset) ? -1 : 1)

export interface NewestOptions extends DlqReadOptions {
  /** how many of the newest matching dead letters (≥ 1) */
  readonly limit: number
  /** offsets per partition read by the first backward step (default 500; each next step twice the last) */
  readonly firstChunk?: number
}

export interface Newest {
  /** the newest `limit` matching dead letters, oldest first */
  readonly entries: ReadonlyArray<DlqEntry>
  /** matching dead letters seen; all that match when `complete` */
  readonly matched: number
  /** every partition was read back to where the filter starts: `matched` is the whole count */
  readonly complete: boolean
}

const MAX_CHUNK = 262_144

/**
 * The newest `limit` matching dead letters without reading the whole DLQ: each partition is
 * read backwards from its end in growing chunks until it has `limit` matches (or reached its
 * start), so a partition's newest matches are its last ones by offset; those of all
 * partitions are then merged by failure time. Memory holds at most `limit` entries per
 * partition besides the chunk being read.
 */
export const readNewest = (kafka: Kafka, options: NewestOptions): Effect.Effect<Newest, KafkaError> =>
  Effect.gen(function* () {
    const filter = options.filter ?? {}
    const limit = Math.max(1, options.limit)
    const ranges = yield* dlqRanges(kafka, options.topic, filter, options.partitions)
    const total = rangeSize(ranges)
    const parts = ranges.map((r) => ({
      partition: r.partition,
      start: BigInt(r.start),
      cursor: BigInt(r.end),
      found: [] as Array<DlqEntry>
    }))
    let chunk = Math.max(options.firstChunk ?? 500, limit * 2)
    let scanned = 0
    let matched = 0
    options.onProgress?.({ scanned, total })
    for (;;) {
      const round = parts.flatMap((p) => {
        const next = p.found.length < limit ? chunkBelow(p.partition, p.start, p.cursor, chunk) : undefined
        return next === undefined ? [] : [next]
      })
      if (round.length === 0) break
      const tally = makeTally(round, (p) => options.onProgress?.({ scanned: scanned + p.scanned, total }))
      const read = new Map<number, Array<DlqEntry>>(round.map((r) => [r.partition, []]))
      yield* readTopic(kafka, {
        topic: options.topic,
        ranges: round,
        clientGroupPrefix: "hookstream-read-newest"
      }).pipe(
        Stream.runForEach((batch) =>
          Effect.sync(() => {
            const list = read.get(batch.partition)
            for (const raw of batch.records) {
              const entry = decodeDlqEntry(raw)
              if (matches(filter, entry)) list?.push(entry)
            }
            tally.advance(batch.partition, batch.next)
          })
        )
      )
      scanned += tally.scanned()
      for (const r of round) {
        const p = parts.find((x) => x.partition === r.partition)
        const list = read.get(r.partition) ?? []
        if (p === undefined) continue
        matched += list.length
        p.found = [...list, ...p.found].slice(-limit)
        p.cursor = BigInt(r.start)
      }
      chunk = Math.min(chunk * 2, MAX_CHUNK)
    }
    const entries = parts
      .flatMap((p) => p.found)
      .sort(byFailedAt)
      .slice(-limit)
    return { entries, matched, complete: parts.every((p) => p.cursor <= p.start) }
  })
