/** What a replay reports while it runs (`ReplayProgress`) and answers at the end (`ReplaySummary`). */
import type { DlqEntry } from "../dlq/DlqEntry.ts"
import type { DlqStats } from "../dlq/DlqStats.ts"
import type { PartitionRange } from "../kafka/TopicReader.ts"

export interface ReplayProgress {
  readonly name?: string
  readonly dryRun: boolean
  /** set during the first pass of --max-replays, which reads the whole DLQ for each event's replay count */
  readonly phase?: "counting"
  /** DLQ offsets between where this run starts and the end captured at its start */
  readonly total: number
  /** of those, how many were read and decided (offsets, markers included) */
  readonly scanned: number
  /** dead letters the filter selected */
  readonly matched: number
  /** selected and published to the input topic (committed) */
  readonly published: number
  /** selected but skipped: replayed `maxReplays` times already */
  readonly tooManyReplays: number
  /** selected but nothing to replay: not hookstream dead letters, or kept without their event (too large) */
  readonly undecodable: number
  readonly elapsedMs: number
}

export interface SkippedEvent {
  readonly coordinate: string
  readonly eventId?: string
  readonly replayCount: number
}

export interface ReplaySummary extends ReplayProgress {
  /** true when the run reached the end offsets it captured (false: interrupted or failed) */
  readonly complete: boolean
  /** where each DLQ partition was read from and to */
  readonly ranges: ReadonlyArray<PartitionRange>
  /** a named replay that continued from a position recorded by an earlier run */
  readonly resumed: boolean
  /** the first selected dead letters (dry run: what would be published) */
  readonly sample: ReadonlyArray<DlqEntry>
  /** the first events skipped for --max-replays */
  readonly skipped: ReadonlyArray<SkippedEvent>
  /** counts of the selected dead letters by webhook, reason, module… */
  readonly selected: DlqStats
}
