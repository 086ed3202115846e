/** The dead-letter timeline of the console: counts per bucket of a round size, from the oldest failure to now. Pure. */

const BUCKETS = 48
const SIZES = [1_000, 5_000, 10_000, 60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000, 604_800_000]

/** The buckets from `oldest` to now: at most BUCKETS of a round size. */
export const timelineFrame = (oldest: number, now: number) => {
  // at least a few buckets' worth of span, so a burst a second ago is not one lone bar
  const span = Math.max(now - Math.min(oldest, now), 10_000)
  const bucketMs = SIZES.find((s) => s * (BUCKETS - 1) >= span) ?? (SIZES.at(-1) as number)
  const start = Math.floor((now - span) / bucketMs) * bucketMs
  const n = Math.min(BUCKETS, Math.floor((now - start) / bucketMs) + 1)
  return {
    n,
    bucketOf: (t: number) => Math.max(0, Math.min(n - 1, Math.floor((t - start) / bucketMs))),
    result: (counts: ReadonlyArray<number>) => ({
      timeline: counts.map((count, i) => ({ t: start + i * bucketMs, count })),
      bucketMs
    })
  }
}

/** Counts per bucket from the oldest failure to now, in at most BUCKETS buckets of a round size. */
export const timeline = (
  times: ReadonlyArray<number>,
  now: number
): { timeline: ReadonlyArray<{ t: number; count: number }>; bucketMs: number } => {
  let oldest = now
  for (const t of times) if (t < oldest) oldest = t
  const frame = timelineFrame(oldest, now)
  const counts = new Array<number>(frame.n).fill(0)
  for (const t of times) {
    const i = frame.bucketOf(t)
    counts[i] = (counts[i] ?? 0) + 1
  }
  return frame.result(counts)
}
