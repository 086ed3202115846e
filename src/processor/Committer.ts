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
      Effect.tap(() =>
        Effect.sync(() => {
          stats.commits++
          for (const m of moves) {
            stats.committedOffsets += m.offset - m.worker.committed
            m.worker.markCommitted(m.offset)
          }
        })
      ),
      Effect.tapError(() => Effect.sync(() => stats.failures++))
    )
  })

/** exactly-once: one transaction = the newly finished prefixes' outcomes + their offsets */
export const commitExactlyOnce = (
  workers: ReadonlyArray<PartitionWorker>,
  producer: Pick<TransactionalProducer, "run">,
  groupId: string,
  topic: string,
  stats: CommitStats
): Effect.Effect<void, KafkaError> =>
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
      Effect.tap(() =>
        Effect.sync(() => {
          stats.commits++
          notifyDurable(records)
          for (const m of moving) {
            stats.committedOffsets += m.offset - m.worker.committed
            m.worker.markCommitted(m.offset)
          }
        })
      ),
      Effect.tapError(() => Effect.sync(() => stats.failures++))
    )
  })
