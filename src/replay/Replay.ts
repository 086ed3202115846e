/**
 * The replay engine: reads the DLQ topic between the position where this replay stands and
 * the end offsets captured when it starts, selects dead letters with a filter, and
 * re-publishes their original events to the input topic (see replayRecord.ts for what is
 * published). `hookstream replay` and the operator console both run this; it reports
 * progress through a callback and answers with a summary.
 *
 * Exactly-once, resumable: records are published in Kafka transactions of at most
 * `maxBatchRecords` records / `maxBatchMs`; a named replay adds its DLQ position to the
 * same transaction (`sendOffsets` for the group `hookstream-replay-<name>`). A transaction
 * either commits records and position together or neither, so a replay killed at any point
 * and run again with the same name continues after the last committed transaction: for
 * read_committed readers (the processor) every selected dead letter is published exactly
 * once. The transactional id is the name's, so a rerun fences a half-dead predecessor and
 * aborts its open transaction before it reads the position.
 *
 * Without a name the replay is not resumable (nothing is recorded), but each batch is still
 * atomic. A dry run publishes and records nothing.
 */
import { randomUUID } from "node:crypto"
import { Clock, Effect, Queue, Schema, Stream } from "effect"
import type { Kafka } from "kafkajs"
import { type DlqEntry, decodeDlqEntry, eventIdOf, formatCoordinate } from "../dlq/DlqEntry.ts"
import { type DlqFilter, matches, offsetFloor } from "../dlq/DlqFilter.ts"
import { type DlqStats, makeStatsAccumulator } from "../dlq/DlqStats.ts"
import * as H from "../domain/KafkaHeaders.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { DEFAULT_PRODUCER_CLIENT, type ProducerClient, type ProducerRecord } from "../kafka/producer/ProducerDriver.ts"
import {
  makeTransactionalProducer,
  type OpenTransaction,
  transactionClient
} from "../kafka/producer/TransactionalProducer.ts"
import { committedOffsets, existingTopics, type PartitionRange, readTopic, topicOffsets } from "../kafka/TopicReader.ts"
import { countReplays } from "./countReplays.ts"
import { makeRateLimiter } from "./RateLimiter.ts"
import type { ReplayCounts } from "./ReplayCounts.ts"
import { decideReplay } from "./replayRecord.ts"

export class ReplayError extends Schema.TaggedError<ReplayError>()("ReplayError", {
  message: Schema.String
}) {}

export interface ReplayOptions {
  readonly dlqTopic: string
  readonly inputTopic: string
  readonly filter?: DlqFilter
  /** makes the replay resumable: its position is recorded under this name */
  readonly name?: string
  /** re-run every module of the chain, not only the failed ones */
  readonly allModules?: boolean
  /** count and sample what would be replayed; publish and record nothing */
  readonly dryRun?: boolean
  /** records published per second, at most */
  readonly ratePerSecond?: number
  /**
   * skip (and report) dead letters whose event (by id) was already replayed this many times:
   * the highest replay count among all the event's dead letters on the DLQ (read in a first
   * pass up to the end offsets this run captured), raised by this run's own publications
   */
  readonly maxReplays?: number
  /** dead letters kept for the summary's sample (default 5) */
  readonly sampleSize?: number
  /** records per transaction, at most (default 500) */
  readonly maxBatchRecords?: number
  /** a transaction closes after this long even when not full (default 1000 ms) */
  readonly maxBatchMs?: number
  /** the client of the transactions; a named replay's carry its position, so they are KafkaJS's (default platformatic) */
  readonly producerClient?: ProducerClient
  /** called at the start, after every transaction (dry run: every batch read) and at the end */
  readonly onProgress?: (progress: ReplayProgress) => void
}

export interface ReplayProgress {
  readonly name?: string
  readonly dryRun: boolean
  /** set during the first pass of --max-replays, which reads the whole DLQ for each event's replay count */
  readonly phase?: "counting"
  /** DLQ offsets between where this run starts and the end captured at its start */
  readonly total: number
  /** of those, how many were read and decided (offsets, markers included) */
  readonly scanned: number
  /** dead letters the filter selected */
  readonly matched: number
  /** selected and published to the input topic (committed) */
  readonly published: number
  /** selected but skipped: replayed `maxReplays` times already */
  readonly tooManyReplays: number
  /** selected but nothing to replay: not hookstream dead letters, or kept without their event (too large) */
  readonly undecodable: number
  readonly elapsedMs: number
}

export interface SkippedEvent {
  readonly coordinate: string
  readonly eventId?: string
  readonly replayCount: number
}

export interface ReplaySummary extends ReplayProgress {
  /** true when the run reached the end offsets it captured (false: interrupted or failed) */
  readonly complete: boolean
  /** where each DLQ partition was read from and to */
  readonly ranges: ReadonlyArray<PartitionRange>
  /** a named replay that continued from a position recorded by an earlier run */
  readonly resumed: boolean
  /** the first selected dead letters (dry run: what would be published) */
  readonly sample: ReadonlyArray<DlqEntry>
  /** the first events skipped for --max-replays */
  readonly skipped: ReadonlyArray<SkippedEvent>
  /** counts of the selected dead letters by webhook, reason, module… */
  readonly selected: DlqStats
}

/** `hookstream-replay-<name>`: the consumer group holding a named replay's position, and its transactional id. */
export const replayGroupId = (name: string): string => `hookstream-replay-${name}`

const NAME = /^[A-Za-z0-9._-]{1,100}$/

export const isValidReplayName = (name: string): boolean => NAME.test(name)

/** the largest (Math.max takes no bigints) */
const maxBig = (...values: ReadonlyArray<bigint>): bigint => {
  let max = values[0] ?? 0n
  for (const v of values) if (v > max) max = v
  return max
}

/** Where each partition's read starts: after the recorded position and the filter's floor, within the log. */
export const planRanges = (
  offsets: ReadonlyArray<{ readonly partition: number; readonly low: string; readonly end: string }>,
  committed: ReadonlyMap<number, string>,
  filter: DlqFilter
): ReadonlyArray<PartitionRange> =>
  offsets.map(({ partition, low, end }) => {
    const recorded = committed.get(partition)
    const start = maxBig(BigInt(low), recorded === undefined ? 0n : BigInt(recorded), offsetFloor(filter, partition))
    const stop = BigInt(end)
    return { partition, start: (start > stop ? stop : start).toString(), end: end }
  })

export const replay = (kafka: Kafka, options: ReplayOptions): Effect.Effect<ReplaySummary, KafkaError | ReplayError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const dryRun = options.dryRun ?? false
      const name = options.name
      const filter = options.filter ?? {}
      if (name !== undefined && !isValidReplayName(name)) {
        return yield* new ReplayError({ message: `replay name must match ${NAME.source}, got '${name}'` })
      }
      if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
        return yield* new ReplayError({ message: `rate must be positive, got ${options.ratePerSecond}` })
      }
      const wanted = dryRun ? [options.dlqTopic] : [options.dlqTopic, options.inputTopic]
      const found = yield* existingTopics(kafka, wanted)
      const missing = wanted.filter((t) => !found.includes(t))
      if (missing.length > 0) return yield* new ReplayError({ message: `topic does not exist: ${missing.join(", ")}` })

      const startedAt = yield* Clock.currentTimeMillis
      const groupId = name === undefined ? undefined : replayGroupId(name)
      const publisher = dryRun
        ? undefined
        : yield* makeTransactionalProducer(kafka, {
            client: transactionClient(options.producerClient ?? DEFAULT_PRODUCER_CLIENT, groupId !== undefined),
            transactionalId: groupId ?? `hookstream-replay-adhoc-${randomUUID()}`
          })
      if (publisher !== undefined) {
        yield* publisher.connect
        // fence a predecessor of the same name first: its open transaction (records and
        // position) is aborted before we read the position it may have been about to move
        yield* publisher.fence
      }
      const committed =
        groupId === undefined ? new Map<number, string>() : yield* committedOffsets(kafka, groupId, options.dlqTopic)
      const offsets = yield* topicOffsets(kafka, options.dlqTopic)
      const ranges = planRanges(offsets, committed, filter)

      const start = new Map(ranges.map((r) => [r.partition, BigInt(r.start)]))
      const position = new Map(start)
      let committedPosition = new Map(start)
      const total = ranges.reduce((n, r) => n + Number(BigInt(r.end) - BigInt(r.start)), 0)
      let matched = 0
      let published = 0
      let tooManyReplays = 0
      let undecodable = 0
      const sampleSize = options.sampleSize ?? 5
      const sample: Array<DlqEntry> = []
      const skipped: Array<SkippedEvent> = []
      const selected = makeStatsAccumulator(startedAt)
      let complete = false

      const scanned = () => {
        let n = 0
        for (const [p, at] of position) n += Number(at - (start.get(p) ?? at))
        return n
      }
      let counting = false
      const progress = (now: number): ReplayProgress => ({
        ...(name === undefined ? {} : { name }),
        dryRun,
        ...(counting ? { phase: "counting" as const } : {}),
        total,
        scanned: scanned(),
        matched,
        published,
        tooManyReplays,
        undecodable,
        elapsedMs: now - startedAt
      })
      const report = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => options.onProgress?.(progress(now)))
      )

      const maxBatchRecords = Math.max(1, options.maxBatchRecords ?? 500)
      const maxBatchMs = options.maxBatchMs ?? 1_000
      const limiter =
        options.ratePerSecond === undefined || dryRun
          ? undefined
          : makeRateLimiter({ ratePerSecond: options.ratePerSecond, now: startedAt })
      // The transaction in progress. Paced (--rate), each record is sent into it when its
      // turn comes, so records reach the broker at the pace and the transaction is open
      // while we wait; unpaced, records wait in `buffer` and go out in one send at commit.
      let txn: OpenTransaction | undefined
      let txnStartedAt = startedAt
      let sentInTxn = 0
      let buffer: Array<ProducerRecord> = []
      let lastFlushAt = startedAt

      const moved = () => [...position].filter(([p, at]) => at !== committedPosition.get(p))
      const openTxn = Effect.gen(function* () {
        if (txn !== undefined) return txn
        if (publisher === undefined) return yield* Effect.die("dry runs publish nothing")
        const begun = yield* publisher.begin
        txn = begun
        txnStartedAt = yield* Clock.currentTimeMillis
        return begun
      })
      /** commits what was sent and buffered, with the position (named replays), in one transaction */
      const flush = Effect.uninterruptible(
        Effect.gen(function* () {
          if (publisher === undefined) return
          const advanced = moved()
          if (txn === undefined && buffer.length === 0 && (groupId === undefined || advanced.length === 0)) return
          const open = yield* openTxn
          const records = buffer
          const at = new Map(position)
          yield* open.send(records)
          yield* open.commit(
            groupId === undefined
              ? undefined
              : {
                  groupId,
                  topic: options.dlqTopic,
                  partitions: advanced.map(([partition, offset]) => ({ partition, offset: offset.toString() }))
                }
          )
          txn = undefined
          published += sentInTxn + records.length
          sentInTxn = 0
          buffer = []
          committedPosition = at
          lastFlushAt = yield* Clock.currentTimeMillis
          yield* report
        })
      )
      const flushIfDue = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const since = txn === undefined ? lastFlushAt : txnStartedAt
        if (buffer.length + sentInTxn >= maxBatchRecords || now - since >= maxBatchMs) yield* flush
      })
      // The position only ever covers records that are in the transaction being committed:
      // `publish` may commit what came before this record (never this record), and the
      // caller moves the position past the record before the next commit can happen.
      const publish = (message: ProducerRecord) =>
        Effect.gen(function* () {
          if (limiter === undefined) {
            buffer.push(message)
            return
          }
          const now = yield* Clock.currentTimeMillis
          const wait = limiter.reserve(now)
          // a transaction is not kept open across a wait that would outlast the batch time
          if (txn !== undefined && now + wait - txnStartedAt >= maxBatchMs) yield* flush
          if (wait > 0) yield* Effect.sleep(wait)
          const open = yield* openTxn
          yield* open.send([message])
          sentInTxn++
        })
      // interrupted or failed: what was sent but not committed is aborted (never seen by the
      // processor) and the position stays where the last commit put it
      const abortOpen = Effect.suspend(() => (txn === undefined ? Effect.void : txn.abort))

      let counts: ReplayCounts | undefined
      if (options.maxReplays !== undefined) {
        // the whole DLQ up to the same end offsets: an event's later dead letters may lie
        // outside this selection (another partition, before --since, behind a named position)
        counting = true
        yield* report
        counts = yield* countReplays(
          kafka,
          options.dlqTopic,
          offsets.map((o) => ({ partition: o.partition, start: o.low, end: o.end }))
        )
        counting = false
      }
      yield* report
      yield* readTopic(kafka, { topic: options.dlqTopic, ranges, clientGroupPrefix: "hookstream-replay-read" }).pipe(
        Stream.runForEach((batch) =>
          Effect.gen(function* () {
            for (const raw of batch.records) {
              const entry = decodeDlqEntry(raw)
              if (matches(filter, entry)) {
                matched++
                selected.add(entry)
                const eventId = counts === undefined ? undefined : eventIdOf(entry)
                const decision = decideReplay(entry, {
                  inputTopic: options.inputTopic,
                  allModules: options.allModules ?? false,
                  ...(options.maxReplays === undefined ? {} : { maxReplays: options.maxReplays }),
                  ...(counts === undefined || eventId === undefined
                    ? {}
                    : { eventReplayCount: counts.countOf(eventId) })
                })
                if (decision._tag === "Undecodable") undecodable++
                else if (decision._tag === "TooManyReplays") {
                  tooManyReplays++
                  if (skipped.length < 100) {
                    const id = eventIdOf(entry)
                    skipped.push({
                      coordinate: formatCoordinate(entry.coordinate),
                      ...(id === undefined ? {} : { eventId: id }),
                      replayCount: decision.replayCount
                    })
                  }
                } else {
                  // counted as published when decided: a dry run says what the real run would do
                  if (counts !== undefined && eventId !== undefined)
                    counts.published(eventId, H.parseReplayCount(decision.message.headers[H.REPLAY_COUNT]))
                  if (sample.length < sampleSize) sample.push(entry)
                  if (!dryRun) yield* publish(decision.message)
                }
              }
              position.set(batch.partition, BigInt(raw.offset) + 1n)
              if (!dryRun) yield* flushIfDue
            }
            position.set(batch.partition, BigInt(batch.next))
            if (dryRun) yield* report
            else if (limiter === undefined && buffer.length > 0) yield* flush
            else yield* flushIfDue
          })
        ),
        Effect.andThen(flush),
        Effect.ensuring(abortOpen)
      )
      complete = true
      const now = yield* Clock.currentTimeMillis
      const final = progress(now)
      options.onProgress?.(final)
      return {
        ...final,
        complete,
        ranges,
        resumed: committed.size > 0,
        sample,
        skipped,
        selected: selected.result()
      }
    })
  ).pipe(
    Effect.catchTag(
      "KafkaError",
      (e): Effect.Effect<never, KafkaError | ReplayError> =>
        e.fenced && options.name !== undefined
          ? Effect.fail(
              new ReplayError({
                message: `another replay named '${options.name}' started and took over (this one was fenced); nothing was published twice`
              })
            )
          : Effect.fail(e)
    )
  )

/** What `replayUpdates` emits: progress reports, then the summary as the last element. */
export type ReplayUpdate =
  | { readonly _tag: "Progress"; readonly progress: ReplayProgress }
  | { readonly _tag: "Done"; readonly summary: ReplaySummary }

/**
 * The replay as a Stream of updates (for the operator console): progress (sliding: a slow
 * reader sees the latest), then `Done`. Interrupting the stream's consumer stops the replay
 * cleanly (the batch in progress is aborted; a named replay resumes from its last commit).
 */
export const replayUpdates = (
  kafka: Kafka,
  options: Omit<ReplayOptions, "onProgress">
): Stream.Stream<ReplayUpdate, KafkaError | ReplayError> =>
  Stream.callback<ReplayUpdate, KafkaError | ReplayError>(
    (queue) =>
      replay(kafka, {
        ...options,
        onProgress: (progress) => {
          Queue.offerUnsafe(queue, { _tag: "Progress", progress })
        }
      }).pipe(
        Effect.flatMap((summary) => Queue.offer(queue, { _tag: "Done", summary })),
        Effect.andThen(Queue.end(queue))
      ),
    { bufferSize: 16, strategy: "sliding" }
  )
