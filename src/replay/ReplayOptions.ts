import { Effect, Schema } from "effect"
import type { Kafka } from "kafkajs"
import type { DlqFilter } from "../dlq/DlqFilter.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import type { ProducerClient } from "../kafka/producer/ProducerDriver.ts"
import { existingTopics } from "../kafka/TopicReader.ts"
import type { ReplayProgress } from "./ReplaySummary.ts"

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

const NAME = /^[A-Za-z0-9._-]{1,100}$/

export const isValidReplayName = (name: string): boolean => NAME.test(name)

/** Fails with what is wrong with the options: the name, the rate, or topics that do not exist. */
export const checkReplayOptions = Effect.fnUntraced(function* (
  kafka: Kafka,
  options: ReplayOptions
): Effect.fn.Return<void, KafkaError | ReplayError> {
  const name = options.name
  if (name !== undefined && !isValidReplayName(name)) {
    return yield* new ReplayError({ message: `replay name must match ${NAME.source}, got '${name}'` })
  }
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
    return yield* new ReplayError({ message: `rate must be positive, got ${options.ratePerSecond}` })
  }
  const wanted = options.dryRun === true ? [options.dlqTopic] : [options.dlqTopic, options.inputTopic]
  const found = yield* existingTopics(kafka, wanted)
  const missing = wanted.filter((t) => !found.includes(t))
  if (missing.length > 0) return yield* new ReplayError({ message: `topic does not exist: ${missing.join(", ")}` })
})
