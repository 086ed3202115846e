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
import { Clock, Effect, Queue, Stream } from "effect"
import type { Kafka } from "kafkajs"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { countReplays } from "./countReplays.ts"
import type { ReplayCounts } from "./ReplayCounts.ts"
import { checkReplayOptions, ReplayError, type ReplayOptions } from "./ReplayOptions.ts"
import { planReplay, type ReplayPlan } from "./ReplayPlan.ts"
import { makeReplayPosition, replayGroupId } from "./ReplayPosition.ts"
import type { ReplayProgress, ReplaySummary } from "./ReplaySummary.ts"
import { makeReplayTally, type ReplayTally } from "./ReplayTally.ts"
import { makeReplayTransactions, openReplayProducer } from "./ReplayTransactions.ts"
import { replayRanges } from "./replayRanges.ts"
import { deadLetterSelection } from "./selectDeadLetter.ts"

export { isValidReplayName, ReplayError, type ReplayOptions } from "./ReplayOptions.ts"
export type { ReplayProgress, ReplaySummary, SkippedEvent } from "./ReplaySummary.ts"

export const replay = (kafka: Kafka, options: ReplayOptions): Effect.Effect<ReplaySummary, KafkaError | ReplayError> =>
  Effect.scoped(
    Effect.gen(function* () {
      yield* checkReplayOptions(kafka, options)
      const startedAt = yield* Clock.currentTimeMillis
      const groupId = options.name === undefined ? undefined : replayGroupId(options.name)
      const publisher = options.dryRun === true ? undefined : yield* openReplayProducer(kafka, options, groupId)
      const plan = yield* planReplay(kafka, options.dlqTopic, groupId, options.filter ?? {})
      const position = makeReplayPosition(plan.ranges)
      const tally = makeReplayTally(options, plan.ranges, position, startedAt)
      const transactions =
        publisher === undefined
          ? undefined
          : makeReplayTransactions(publisher, options, groupId, position, tally, startedAt)

      const counts = options.maxReplays === undefined ? undefined : yield* countFirst(kafka, options, plan, tally)
      yield* tally.report
      const selection = deadLetterSelection(options, counts)
      yield* replayRanges(kafka, options.dlqTopic, plan.ranges, selection, position, tally, transactions)

      const final = tally.progress(yield* Clock.currentTimeMillis)
      options.onProgress?.(final)
      return {
        ...final,
        complete: true,
        ranges: plan.ranges,
        resumed: plan.committed.size > 0,
        sample: tally.sample,
        skipped: tally.skipped,
        selected: tally.selected.result()
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

/** The first pass of --max-replays, reported as the `counting` phase. */
const countFirst = Effect.fnUntraced(function* (
  kafka: Kafka,
  options: ReplayOptions,
  plan: ReplayPlan,
  tally: ReplayTally
): Effect.fn.Return<ReplayCounts, KafkaError> {
  // the whole DLQ up to the same end offsets: an event's later dead letters may lie
  // outside this selection (another partition, before --since, behind a named position)
  tally.counting = true
  yield* tally.report
  const counts = yield* countReplays(
    kafka,
    options.dlqTopic,
    plan.offsets.map((o) => ({ partition: o.partition, start: o.low, end: o.end }))
  )
  tally.counting = false
  return counts
})

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
