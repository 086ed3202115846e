/**
 * Turns durable outcomes into committed offsets, per partition, never past an unfinished
 * event. At-least-once: outcomes were already acknowledged, so a commit is just the new
 * watermark. Exactly-once: the outcomes of the newly finished prefix and the offsets go in
 * one transaction; until it commits nothing of it is visible to read_committed readers.
 */
import { Effect } from "effect"
import type { KafkaError } from "../kafka/KafkaError.ts"
import type { CommitOffsets } from "../kafka/producer/ProducerDriver.ts"
import type { TransactionalProducer } from "../kafka/producer/TransactionalProducer.ts"
import type { OutputRecord } from "../outcomes/records.ts"
import { notifyDurable, type PartitionWorker } from "./PartitionWorker.ts"

export interface CommitTarget {
  readonly commit: (offsets: ReadonlyArray<{ partition: number; offset: number }>) => Effect.Effect<void, KafkaError>
}

export interface CommitStats {
  commits: number
  committedOffsets: number
  failures: number
}

export const makeStats = (): CommitStats => ({ commits: 0, committedOffsets: 0, failures: 0 })

/** the commit went through: counted, the workers told, the records' waiters told */
const applyCommitted = (transaction: InDoubt, stats: CommitStats) => {
  stats.commits++
  notifyDurable(transaction.records)
  for (const m of transaction.moving) {
    stats.committedOffsets += Math.max(0, m.offset - m.worker.committed)
    m.worker.markCommitted(m.offset)
  }
}

/** at-least-once: commit each partition's watermark if it moved */
export const commitAtLeastOnce = (
  workers: ReadonlyArray<PartitionWorker>,
  consumer: CommitTarget,
  stats: CommitStats
): Effect.Effect<void, KafkaError> =>
  Effect.suspend(() => {
    const moves: Array<{ worker: PartitionWorker; offset: number }> = []
    for (const worker of workers) {
      const offset = worker.commitCandidate()
      if (offset !== undefined) moves.push({ worker, offset })
    }
    if (moves.length === 0) return Effect.void
    return consumer.commit(moves.map((m) => ({ partition: m.worker.partition, offset: m.offset }))).pipe(
      // the outcomes were acknowledged before: nothing to notify
      Effect.tap(() => Effect.sync(() => applyCommitted({ moving: moves, records: [] }, stats))),
      Effect.tapError(() => Effect.sync(() => stats.failures++))
    )
  })

/** A transaction whose commit was sent but not answered: it may have committed. */
export interface InDoubt {
  readonly moving: ReadonlyArray<{ readonly worker: PartitionWorker; readonly offset: number }>
  readonly records: ReadonlyArray<OutputRecord>
}

/** What the exactly-once commit needs besides the producer, and the one transaction in doubt. */
export interface ExactlyOnceState {
  /** the group's committed offsets, as read_committed readers see them */
  readonly committed: Effect.Effect<ReadonlyMap<number, number>, KafkaError>
  inDoubt: InDoubt | undefined
}

/**
 * A commit that failed after it was sent is ambiguous: the coordinator may have committed it
 * (a broker restart, a coordinator move, a timeout on the answer). Sending the same outcomes
 * again would publish them twice. So the next attempt first settles the doubt: a new
 * InitProducerId (`fence`) makes the coordinator finish the earlier transaction, after which
 * the group's committed offsets say which way it went. The transaction is atomic, so one
 * partition answers for all of them.
 */
const settleDoubt = (
  producer: Pick<TransactionalProducer, "fence">,
  state: ExactlyOnceState,
  stats: CommitStats
): Effect.Effect<void, KafkaError> =>
  Effect.suspend(() => {
    const doubt = state.inDoubt
    const probe = doubt?.moving[0]
    if (doubt === undefined || probe === undefined) return Effect.sync(() => (state.inDoubt = undefined))
    return producer.fence.pipe(
      Effect.andThen(state.committed),
      Effect.flatMap((offsets) =>
        Effect.suspend(() => {
          state.inDoubt = undefined
          if ((offsets.get(probe.worker.partition) ?? -1) < probe.offset)
            return Effect.logInfo("a commit that went unanswered had not committed; its outcomes go again")
          applyCommitted(doubt, stats)
          return Effect.logInfo("a commit that went unanswered had committed; its outcomes are not sent again")
        })
      )
    )
  })

/** exactly-once: one transaction = the newly finished prefixes' outcomes + their offsets */
export const commitExactlyOnce = (
  workers: ReadonlyArray<PartitionWorker>,
  producer: Pick<TransactionalProducer, "run" | "fence">,
  groupId: string,
  topic: string,
  stats: CommitStats,
  state: ExactlyOnceState
): Effect.Effect<void, KafkaError> =>
  Effect.andThen(
    settleDoubt(producer, state, stats),
    Effect.suspend(() => {
      const moving: Array<{ worker: PartitionWorker; offset: number }> = []
      const records: Array<OutputRecord> = []
      for (const worker of workers) {
        const candidate = worker.transactionCandidate()
        if (candidate === undefined) continue
        moving.push({ worker, offset: candidate.offset })
        for (const batch of candidate.records) records.push(...batch)
      }
      if (moving.length === 0) return Effect.void
      const offsets: CommitOffsets = {
        groupId,
        topic,
        partitions: moving.map((m) => ({ partition: m.worker.partition, offset: String(m.offset) }))
      }
      return producer.run(records, offsets).pipe(
        Effect.tap(() => Effect.sync(() => applyCommitted({ moving, records }, stats))),
        Effect.tapError((e) =>
          Effect.sync(() => {
            stats.failures++
            // only the commit request itself can have gone through unanswered
            if (e.operation === "transaction.commit" && !e.fenced) state.inDoubt = { moving, records }
          })
        )
      )
    })
  )
