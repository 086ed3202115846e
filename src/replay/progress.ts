/** Rates and ETA of a replay, from its progress reports. Pure. */
import type { ReplayProgress } from "./ReplaySummary.ts"

/** per second over the whole run so far (0 before any time passed) */
export const ratePerSecond = (count: number, elapsedMs: number): number =>
  elapsedMs <= 0 ? 0 : (count * 1000) / elapsedMs

/** ms until the scan reaches the end at the rate so far; undefined while nothing is known */
export const etaMs = (p: ReplayProgress): number | undefined => {
  if (p.scanned >= p.total) return 0
  const rate = ratePerSecond(p.scanned, p.elapsedMs)
  return rate <= 0 ? undefined : Math.round(((p.total - p.scanned) * 1000) / rate)
}

/** 0..1, how much of the DLQ range has been read */
export const fraction = (p: ReplayProgress): number => (p.total <= 0 ? 1 : Math.min(1, p.scanned / p.total))
