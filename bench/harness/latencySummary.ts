/** Percentiles of a latency sample (nearest-rank), in ms. */

export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
  readonly mean: number
}

/** Sorts `samples` in place. */
export const latencySummary = (samples: Float64Array): LatencySummary => {
  const count = samples.length
  if (count === 0)
    return { count, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN }
  samples.sort()
  const at = (q: number) => samples[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))] as number
  let sum = 0
  for (const v of samples) sum += v
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: samples[count - 1] as number, mean: sum / count }
}
