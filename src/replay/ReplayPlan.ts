/** What a replay will read: each DLQ partition from where this run starts to the end offsets captured now. */
import { Effect } from "effect"
import type { Kafka } from "kafkajs"
import { type DlqFilter, offsetFloor } from "../dlq/DlqFilter.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { committedOffsets, type PartitionOffsets, type PartitionRange, topicOffsets } from "../kafka/TopicReader.ts"

export interface ReplayPlan {
  /** the position a named replay's earlier runs recorded (empty: none, or not named) */
  readonly committed: ReadonlyMap<number, string>
  /** each DLQ partition's low and end offsets, as captured at the start */
  readonly offsets: ReadonlyArray<PartitionOffsets>
  readonly ranges: ReadonlyArray<PartitionRange>
}

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

/** Reads the position recorded under `groupId` (a named replay) and the DLQ's offsets, and plans the ranges. */
export const planReplay = Effect.fnUntraced(function* (
  kafka: Kafka,
  dlqTopic: string,
  groupId: string | undefined,
  filter: DlqFilter
): Effect.fn.Return<ReplayPlan, KafkaError> {
  const committed =
    groupId === undefined ? new Map<number, string>() : yield* committedOffsets(kafka, groupId, dlqTopic)
  const offsets = yield* topicOffsets(kafka, dlqTopic)
  return { committed, offsets, ranges: planRanges(offsets, committed, filter) }
})
