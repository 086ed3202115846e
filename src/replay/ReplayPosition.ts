/**
 * Where a replay's read of each DLQ partition stands, and where its last commit left it. A
 * named replay commits its position in the same transaction as the records read before it
 * (`sendOffsets` for its group), so a rerun continues after the last committed transaction.
 */
import type { CommitOffsets } from "../kafka/producer/ProducerDriver.ts"
import type { PartitionRange } from "../kafka/TopicReader.ts"

/** `hookstream-replay-<name>`: the consumer group holding a named replay's position, and its transactional id. */
export const replayGroupId = (name: string): string => `hookstream-replay-${name}`

export interface ReplayPosition {
  /** every offset of `partition` below `next` has been read and decided */
  readonly advance: (partition: number, next: bigint) => void
  /** offsets read and decided since the start of this run */
  readonly scanned: () => number
  /** the partitions whose position moved since the last commit, and where to */
  readonly moved: () => ReadonlyArray<readonly [number, bigint]>
  /** the position now, for `committed` once the transaction carrying it committed */
  readonly snapshot: () => ReadonlyMap<number, bigint>
  readonly committed: (at: ReadonlyMap<number, bigint>) => void
}

export const makeReplayPosition = (ranges: ReadonlyArray<PartitionRange>): ReplayPosition => {
  const start = new Map(ranges.map((r) => [r.partition, BigInt(r.start)]))
  const position = new Map(start)
  let committedPosition: ReadonlyMap<number, bigint> = new Map(start)
  return {
    advance: (partition, next) => {
      position.set(partition, next)
    },
    scanned: () => {
      let n = 0
      for (const [p, at] of position) n += Number(at - (start.get(p) ?? at))
      return n
    },
    moved: () => [...position].filter(([p, at]) => at !== committedPosition.get(p)),
    snapshot: () => new Map(position),
    committed: (at) => {
      committedPosition = at
    }
  }
}

/** What a transaction records as a named replay's position (nothing for an unnamed one). */
export const positionOffsets = (
  groupId: string | undefined,
  topic: string,
  moved: ReadonlyArray<readonly [number, bigint]>
): CommitOffsets | undefined =>
  groupId === undefined
    ? undefined
    : { groupId, topic, partitions: moved.map(([partition, offset]) => ({ partition, offset: offset.toString() })) }
