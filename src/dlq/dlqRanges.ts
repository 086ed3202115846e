/**
 * Which offsets a DLQ read covers, so `--since`/`--until` and `--limit` do not read the whole
 * topic. Pure: the broker's answers (offsets, offsets at a time) are arguments.
 *
 * Time bounds use the broker's offset for a timestamp (ListOffsets): the first offset whose
 * record timestamp is at or after the time. The filter is on the record's `failed_at`, which
 * the processor sets just before it produces the dead letter, so a record's timestamp is at or
 * after its `failed_at`. The seek is made TIME_MARGIN_MS wider on both sides (clock skew
 * between a processor and a broker that stamps LogAppendTime, a dead letter produced a little
 * after it failed); the filter still decides exactly on `failed_at`. A dead letter stored more
 * than the margin after it failed can be missed by `--until` (and one stamped more than the
 * margin before it failed, by `--since`).
 */
import type { PartitionOffsets, PartitionRange } from "../kafka/TopicReader.ts"
import { type DlqFilter, offsetFloor } from "./DlqFilter.ts"

export const TIME_MARGIN_MS = 10 * 60_000

/** The offset per partition where records stamped at or after a time begin (the broker's answer). */
export type OffsetsAtTime = ReadonlyMap<number, bigint>

export interface RangeBounds {
  /** read only these partitions (default: all) */
  readonly partitions?: ReadonlyArray<number>
  /** offsets at `since - TIME_MARGIN_MS`: reading starts there */
  readonly atSince?: OffsetsAtTime
  /** offsets at `until + TIME_MARGIN_MS`: reading stops there */
  readonly atUntil?: OffsetsAtTime
}

const clamp = (value: bigint, low: bigint, high: bigint) => (value < low ? low : value > high ? high : value)

/** Per partition: from the highest of the log start, the filter's offset floor and the time seek, to the end or the time bound. */
export const planDlqRanges = (
  offsets: ReadonlyArray<PartitionOffsets>,
  filter: DlqFilter,
  bounds: RangeBounds = {}
): ReadonlyArray<PartitionRange> =>
  offsets.map(({ partition, low, end }) => {
    const lowest = BigInt(low)
    let stop = BigInt(end)
    const bound = bounds.atUntil?.get(partition)
    if (bound !== undefined) stop = clamp(bound, lowest, stop)
    const included = bounds.partitions === undefined || bounds.partitions.includes(partition)
    let start = offsetFloor(filter, partition)
    const since = bounds.atSince?.get(partition)
    if (since !== undefined && since > start) start = since
    return { partition, start: (included ? clamp(start, lowest, stop) : stop).toString(), end: stop.toString() }
  })

/** How many offsets the ranges span. */
export const rangeSize = (ranges: ReadonlyArray<PartitionRange>): number =>
  ranges.reduce((n, r) => n + Number(BigInt(r.end) - BigInt(r.start)), 0)

/**
 * The next chunk of a backward read of one partition: the `size` offsets below `cursor`, not
 * below `start`; `undefined` when the cursor reached the start.
 */
export const chunkBelow = (
  partition: number,
  start: bigint,
  cursor: bigint,
  size: number
): PartitionRange | undefined => {
  if (cursor <= start) return undefined
  const from = cursor - BigInt(size) > start ? cursor - BigInt(size) : start
  return { partition, start: from.toString(), end: cursor.toString() }
}
