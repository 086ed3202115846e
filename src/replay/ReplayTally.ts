/** What a replay has counted so far, and its progress reports (ReplayProgress) built from it. */
import { Clock, Effect } from "effect"
import type { DlqEntry } from "../dlq/DlqEntry.ts"
import { makeStatsAccumulator, type StatsAccumulator } from "../dlq/DlqStats.ts"
import type { PartitionRange } from "../kafka/TopicReader.ts"
import type { ReplayOptions } from "./ReplayOptions.ts"
import type { ReplayPosition } from "./ReplayPosition.ts"
import type { ReplayProgress, SkippedEvent } from "./ReplaySummary.ts"

export interface ReplayTally {
  matched: number
  published: number
  tooManyReplays: number
  undecodable: number
  /** the first pass of --max-replays is running */
  counting: boolean
  readonly sample: Array<DlqEntry>
  readonly skipped: Array<SkippedEvent>
  readonly selected: StatsAccumulator
  readonly progress: (now: number) => ReplayProgress
  /** hands the progress now to `onProgress` */
  readonly report: Effect.Effect<void>
}

export const makeReplayTally = (
  options: ReplayOptions,
  ranges: ReadonlyArray<PartitionRange>,
  position: ReplayPosition,
  startedAt: number
): ReplayTally => {
  const name = options.name
  const dryRun = options.dryRun ?? false
  const total = ranges.reduce((n, r) => n + Number(BigInt(r.end) - BigInt(r.start)), 0)
  const tally: ReplayTally = {
    matched: 0,
    published: 0,
    tooManyReplays: 0,
    undecodable: 0,
    counting: false,
    sample: [],
    skipped: [],
    selected: makeStatsAccumulator(startedAt),
    progress: (now) => ({
      ...(name === undefined ? {} : { name }),
      dryRun,
      ...(tally.counting ? { phase: "counting" as const } : {}),
      total,
      scanned: position.scanned(),
      matched: tally.matched,
      published: tally.published,
      tooManyReplays: tally.tooManyReplays,
      undecodable: tally.undecodable,
      elapsedMs: now - startedAt
    }),
    report: Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => options.onProgress?.(tally.progress(now)))
    )
  }
  return tally
}
