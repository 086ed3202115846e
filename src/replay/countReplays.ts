import { Effect, Stream } from "effect"
import type { Kafka } from "kafkajs"
import { decodeDlqEntry } from "../dlq/DlqEntry.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { type PartitionRange, readTopic } from "../kafka/TopicReader.ts"
import { countEntry, makeReplayCounts, mayCount, type ReplayCounts } from "./ReplayCounts.ts"

/**
 * The first pass of --max-replays: the replay count of every event replayed at least once,
 * over `ranges` (the whole DLQ). Only records whose header says they were replayed are parsed.
 */
export const countReplays = (
  kafka: Kafka,
  topic: string,
  ranges: ReadonlyArray<PartitionRange>
): Effect.Effect<ReplayCounts, KafkaError> =>
  Effect.suspend(() => {
    const counts = makeReplayCounts()
    return readTopic(kafka, { topic, ranges, clientGroupPrefix: "hookstream-replay-count" }).pipe(
      Stream.runForEach((batch) =>
        Effect.sync(() => {
          for (const raw of batch.records) if (mayCount(raw)) countEntry(counts, decodeDlqEntry(raw))
        })
      ),
      Effect.as(counts)
    )
  })
