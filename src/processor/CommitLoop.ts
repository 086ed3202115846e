/**
 * A consumer loop's commits: every `intervalMs`, before a rebalance and on shutdown, the
 * durable progress of each partition goes to the group (at-least-once: the offsets;
 * exactly-once: the outcomes of the newly finished prefix and the offsets in one
 * transaction, see Committer.ts). A failed commit is retried on the next tick; a fenced
 * producer (another instance took our transactional id) stops the loop.
 */
import { Deferred, Duration, Effect, Schedule, type Scope, Semaphore } from "effect"
import type { KafkaError } from "../kafka/KafkaError.ts"
import type { TransactionalProducer } from "../kafka/producer/TransactionalProducer.ts"
import {
  type CommitTarget,
  commitAtLeastOnce,
  commitExactlyOnce,
  type ExactlyOnceState,
  makeStats
} from "./Committer.ts"
import type { PartitionWorker } from "./PartitionWorker.ts"
import type { ProcessorMetrics } from "./ProcessorMetrics.ts"

export interface CommitLoopSettings {
  readonly workers: () => ReadonlyArray<PartitionWorker>
  /** exactly-once: the loop's transactional producer; absent: offsets go through `consumer` */
  readonly transactional: Pick<TransactionalProducer, "run" | "fence"> | undefined
  /** at-least-once: commits; exactly-once: reads the committed offsets to settle a commit in doubt */
  readonly consumer: CommitTarget & {
    readonly committed: Effect.Effect<ReadonlyMap<number, number>, KafkaError>
  }
  readonly groupId: string
  readonly topic: string
  readonly metrics: Pick<ProcessorMetrics, "offsetsCommitted" | "commitFailed" | "publishFailed">
  /** a commit shrank the held window: batches waiting for room may go on */
  readonly afterCommit: () => void
  /** fenced: the loop must stop */
  readonly failed: Deferred.Deferred<never, KafkaError | Error>
}

export interface CommitLoop {
  /** commits now, counted in the metrics; fails as the commit did */
  readonly commit: Effect.Effect<void, KafkaError>
  /** commits now; a failure is logged (and retried next tick), a fence stops the loop */
  readonly commitQuietly: Effect.Effect<void>
  /** commits that went through */
  readonly commits: () => number
}

export const makeCommitLoop = (settings: CommitLoopSettings): CommitLoop => {
  const stats = makeStats()
  const { transactional, metrics } = settings
  const exactlyOnce: ExactlyOnceState = { committed: settings.consumer.committed, inDoubt: undefined }
  const once =
    transactional !== undefined
      ? Effect.suspend(() =>
          commitExactlyOnce(settings.workers(), transactional, settings.groupId, settings.topic, stats, exactlyOnce)
        )
      : Effect.suspend(() => commitAtLeastOnce(settings.workers(), settings.consumer, stats))

  // One commit at a time: the tick, the commit before a rebalance and the final one at shutdown
  // may meet. Two exactly-once commits at once would put the same pending outcomes in two
  // transactions (both commit: duplicates), and a second `begin` while one is open makes the
  // producer replace its client, which aborts the first behind its back.
  const oneAtATime = Semaphore.makeUnsafe(1)
  const commit = Effect.suspend(() => {
    const before = stats.commits
    return once.pipe(
      Effect.tap(() => Effect.sync(() => metrics.offsetsCommitted(stats.commits - before))),
      Effect.tapError(() =>
        Effect.sync(() => {
          metrics.commitFailed()
          // exactly-once: the outcomes travel in the failed transaction
          if (transactional !== undefined) metrics.publishFailed()
        })
      )
    )
  }).pipe(oneAtATime.withPermits(1))

  const commitQuietly = commit.pipe(
    Effect.tapError((e) =>
      e.fenced
        ? Deferred.fail(settings.failed, e)
        : Effect.logDebug("commit did not go through; retrying on the next tick", e.message)
    ),
    Effect.ignore,
    Effect.andThen(Effect.sync(settings.afterCommit))
  )

  return { commit, commitQuietly, commits: () => stats.commits }
}

/** The periodic commit, for the life of the enclosing Scope. */
export const runCommitLoop = (loop: CommitLoop, intervalMs: number): Effect.Effect<void, never, Scope.Scope> =>
  Effect.asVoid(Effect.forkScoped(Effect.repeat(loop.commitQuietly, Schedule.spaced(Duration.millis(intervalMs)))))
