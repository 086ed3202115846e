/**
 * Feeds the console's DLQ index (DlqIndex.ts): a consumer that reads the DLQ from its oldest
 * record and keeps following it, so the page never reads the topic itself. It says how far it
 * is (caught up with the end offsets it found at start, or how many records behind) and every
 * 30 s moves the index's retention floor to the log start, so records the broker deleted stop
 * counting.
 *
 * KafkaJS reads only through a group: a throw-away one (random id, nothing committed). A
 * record is parsed once, as JSON, and its fields taken when it looks like a
 * `hookstream.dlq/v1` dead letter (schema id, reason, failed modules, failed_at, replay count);
 * anything else goes through the full decoder, as `dlq stats` does.
 */
import { randomUUID } from "node:crypto"
import { Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import {
  type DlqEntry,
  decodeDlqEntry,
  errorMessageOf,
  eventIdOf,
  failedAtOf,
  keyText,
  webhookIdOf
} from "../dlq/DlqEntry.ts"
import { type DeadLetterRecord, DLQ_SCHEMA_ID, DlqReason } from "../domain/DeadLetterRecord.ts"
import { decodeHeaders, type InputRecord } from "../kafka/InputRecord.ts"
import { type KafkaError, toKafkaError } from "../kafka/KafkaError.ts"
import { topicOffsets } from "../kafka/TopicReader.ts"
import type { DlqIndex, IndexRow } from "./DlqIndex.ts"

const REASONS = DlqReason.literals as ReadonlyArray<string>

const rowOf = (entry: DlqEntry): IndexRow => {
  const record = entry.record
  return {
    topic: entry.coordinate.topic,
    partition: entry.coordinate.partition,
    offset: Number(entry.coordinate.offset),
    failedAt: failedAtOf(entry),
    reason: record?.reason,
    eventId: eventIdOf(entry),
    webhookId: record === undefined ? undefined : webhookIdOf(entry),
    failedModules: record?.failed_modules ?? [],
    replayCount: record?.replay_count ?? 0,
    key: keyText(entry),
    error: errorMessageOf(entry)
  }
}

const looksLikeDeadLetter = (v: unknown): v is DeadLetterRecord => {
  if (typeof v !== "object" || v === null) return false
  const r = v as Record<string, unknown>
  return (
    r["schema"] === DLQ_SCHEMA_ID &&
    typeof r["reason"] === "string" &&
    REASONS.includes(r["reason"]) &&
    Array.isArray(r["failed_modules"]) &&
    r["failed_modules"].every((m) => typeof m === "string") &&
    typeof r["failed_at"] === "string" &&
    Number.isInteger(r["replay_count"]) &&
    typeof r["event"] === "object" &&
    r["event"] !== null
  )
}

/**
 * One DLQ record as an index row: the quick look when it is plainly a dead letter, else the
 * full decoder. The headers are decoded only for the decoder (a row does not keep them).
 */
export const indexRow = (
  raw: Omit<InputRecord, "headers">,
  headers: () => InputRecord["headers"] = () => ({})
): IndexRow => {
  if (raw.value !== null && raw.value.length > 0) {
    try {
      const parsed: unknown = JSON.parse(raw.value.toString("utf8"))
      if (looksLikeDeadLetter(parsed)) {
        return rowOf({
          coordinate: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
          key: raw.key,
          headers: {},
          timestamp: raw.timestamp,
          record: parsed
        })
      }
    } catch {
      // not JSON, or a field of an unexpected shape: the decoder says what is wrong
    }
  }
  return rowOf(decodeDlqEntry({ ...raw, headers: headers() }))
}

export interface DlqTailStatus {
  /** rows in the index */
  readonly indexed: number
  /** the tail reached the end offsets the DLQ had when it started */
  readonly caughtUp: boolean
  /** records between the tail and those end offsets (0 once caught up; null: not known yet, the tail is starting) */
  readonly behind: number | null
}

/** Before the tail knows the DLQ's offsets. */
export const STARTING: DlqTailStatus = { indexed: 0, caughtUp: false, behind: null }

/**
 * Starts the tail; `onStarted` gets its status as soon as the DLQ's offsets are known (before
 * the consumer joined), so the page is answered from the index, however empty, from then on.
 */
export const startDlqTail = (
  kafka: Kafka,
  topic: string,
  index: DlqIndex,
  onStarted: (status: () => DlqTailStatus) => void
): Effect.Effect<void, KafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const offsets = yield* topicOffsets(kafka, topic)
    const ends = new Map(offsets.map((o) => [o.partition, Number(o.end)]))
    const position = new Map(offsets.map((o) => [o.partition, Number(o.low)]))
    const reached = (partition: number, next: number) => {
      if (next > (position.get(partition) ?? 0)) position.set(partition, next)
    }
    onStarted(() => {
      let behind = 0
      for (const [p, end] of ends) behind += Math.max(0, end - (position.get(p) ?? 0))
      return { indexed: index.size(), caughtUp: behind === 0, behind }
    })
    const consumer = kafka.consumer({
      groupId: `hookstream-console-dlq-${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: 1_048_576
    })
    // a fetch of transaction markers only (a transactional DLQ's end) never reaches eachBatch
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      if (e.payload.topic === topic) reached(e.payload.partition, Number(e.payload.lastOffset) + 1)
    })
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          await consumer.connect()
          await consumer.subscribe({ topics: [topic], fromBeginning: true })
          await consumer.run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                index.add(
                  indexRow(
                    {
                      topic,
                      partition: batch.partition,
                      offset: m.offset,
                      key: m.key ?? null,
                      value: m.value ?? null,
                      timestamp: Number(m.timestamp)
                    },
                    () => decodeHeaders(m.headers)
                  )
                )
              }
              reached(batch.partition, Number(batch.lastOffset()) + 1)
            }
          })
        },
        catch: (e) => toKafkaError("consumer.run", e)
      }),
      () => Effect.promise(() => consumer.disconnect().catch(() => undefined))
    )
    const retention = Effect.flatMap(topicOffsets(kafka, topic), (offsets) =>
      Effect.sync(() => {
        for (const o of offsets) index.retainFrom(o.partition, Number(o.low))
      })
    )
    // a broker hiccup leaves the floor where it was; the next round moves it
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep("30 seconds"), Effect.ignore(retention))))
  })
