/**
 * `dlq stats`: counts of dead letters by webhook id, reason, failed module, age and replay
 * count. An accumulator, so the DLQ is counted as it streams by (never held in memory).
 * Pure: the clock is an argument.
 */
import { type DlqEntry, failedAtOf, webhookIdOf } from "./DlqEntry.ts"

export const AGE_BUCKETS = ["< 1h", "1h–24h", "1d–7d", "> 7d"] as const
export type AgeBucket = (typeof AGE_BUCKETS)[number]

export const ageBucket = (ageMs: number): AgeBucket =>
  ageMs < 3_600_000 ? "< 1h" : ageMs < 86_400_000 ? "1h–24h" : ageMs < 604_800_000 ? "1d–7d" : "> 7d"

export interface DlqStats {
  readonly total: number
  /** records on the topic that are not hookstream.dlq/v1 dead letters */
  readonly undecodable: number
  readonly byWebhook: Readonly<Record<string, number>>
  readonly byReason: Readonly<Record<string, number>>
  /** a record with two failed modules counts once for each */
  readonly byModule: Readonly<Record<string, number>>
  readonly byAge: Readonly<Record<AgeBucket, number>>
  /** how many times the events had been replayed when they failed ("0" = first delivery) */
  readonly byReplayCount: Readonly<Record<string, number>>
  readonly oldestFailedAt?: string
  readonly newestFailedAt?: string
}

export interface StatsAccumulator {
  readonly add: (entry: DlqEntry) => void
  readonly result: () => DlqStats
}

const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1)

/** Sorted by count (desc), then name, so the biggest problems come first. */
const sortedRecord = (counts: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))

export const makeStatsAccumulator = (now: number): StatsAccumulator => {
  let total = 0
  let undecodable = 0
  const byWebhook = new Map<string, number>()
  const byReason = new Map<string, number>()
  const byModule = new Map<string, number>()
  const byReplayCount = new Map<string, number>()
  const byAge: Record<AgeBucket, number> = { "< 1h": 0, "1h–24h": 0, "1d–7d": 0, "> 7d": 0 }
  let oldest = Number.POSITIVE_INFINITY
  let newest = Number.NEGATIVE_INFINITY
  return {
    add: (entry) => {
      total++
      const at = failedAtOf(entry)
      byAge[ageBucket(now - at)]++
      if (at < oldest) oldest = at
      if (at > newest) newest = at
      const record = entry.record
      if (record === undefined) {
        undecodable++
        return
      }
      bump(byWebhook, webhookIdOf(entry) ?? "(undecodable event)")
      bump(byReason, record.reason)
      for (const m of new Set(record.failed_modules)) bump(byModule, m)
      bump(byReplayCount, String(record.replay_count))
    },
    result: () => statsOf({ total, undecodable, byWebhook, byReason, byModule, byReplayCount, byAge, oldest, newest })
  }
}

/** Counts gathered elsewhere (the console's in-memory index) as stats, ordered as `dlq stats` orders them. */
export const statsOf = (counts: {
  readonly total: number
  readonly undecodable: number
  readonly byWebhook: Map<string, number>
  readonly byReason: Map<string, number>
  readonly byModule: Map<string, number>
  readonly byReplayCount: Map<string, number>
  readonly byAge: Readonly<Record<AgeBucket, number>>
  readonly oldest: number
  readonly newest: number
}): DlqStats => ({
  total: counts.total,
  undecodable: counts.undecodable,
  byWebhook: sortedRecord(counts.byWebhook),
  byReason: sortedRecord(counts.byReason),
  byModule: sortedRecord(counts.byModule),
  byAge: { ...counts.byAge },
  byReplayCount: Object.fromEntries([...counts.byReplayCount].sort((a, b) => Number(a[0]) - Number(b[0]))),
  ...(counts.total === 0
    ? {}
    : {
        oldestFailedAt: new Date(counts.oldest).toISOString(),
        newestFailedAt: new Date(counts.newest).toISOString()
      })
})
