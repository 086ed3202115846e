import { Effect, Stream } from "effect"
import type { Kafka } from "kafkajs"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { type PartitionRange, readTopic } from "../kafka/TopicReader.ts"
import type { ReplayPosition } from "./ReplayPosition.ts"
import type { ReplayTally } from "./ReplayTally.ts"
import type { ReplayTransactions } from "./ReplayTransactions.ts"
import { type DeadLetterSelection, selectDeadLetter } from "./selectDeadLetter.ts"

/**
 * The replay's read loop: every record of the planned ranges is decided, and what is selected
 * is published through `transactions` (a dry run has none: it only counts, and reports after
 * every batch read). The position moves past a record only once it is published (see
 * `publish` in ReplayTransactions.ts).
 */
export const replayRanges = (
  kafka: Kafka,
  dlqTopic: string,
  ranges: ReadonlyArray<PartitionRange>,
  selection: DeadLetterSelection,
  position: ReplayPosition,
  tally: ReplayTally,
  transactions: ReplayTransactions | undefined
): Effect.Effect<void, KafkaError> =>
  readTopic(kafka, { topic: dlqTopic, ranges, clientGroupPrefix: "hookstream-replay-read" }).pipe(
    Stream.runForEach((batch) =>
      Effect.gen(function* () {
        for (const raw of batch.records) {
          const message = selectDeadLetter(raw, selection, tally)
          if (message !== undefined && transactions !== undefined) yield* transactions.publish(message)
          position.advance(batch.partition, BigInt(raw.offset) + 1n)
          if (transactions !== undefined) yield* transactions.flushIfDue
        }
        position.advance(batch.partition, BigInt(batch.next))
        if (transactions === undefined) yield* tally.report
        else yield* transactions.batchRead
      })
    ),
    Effect.andThen(transactions === undefined ? Effect.void : transactions.flush),
    Effect.ensuring(transactions === undefined ? Effect.void : transactions.abortOpen)
  )
