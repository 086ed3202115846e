/**
 * Time from a fault to full throughput again, from the moments work got done (first
 * deliveries at a sink, 202 answers of an ingress), all on one clock (performance.now()).
 *
 * The baseline is the rate in the few seconds before the first fault. After a fault the
 * throughput is back once a one-second window, sliding in 100 ms steps from the fault on,
 * holds at least `fraction` (80 %) of the baseline; the recovery time is that window's start
 * minus the fault. A fault that never slowed anything down recovers in 0 s. `undefined`
 * means it never got back before the work ran out (a check fails on it).
 */
import { type Checks, round } from "./types.ts"

export interface Fault {
  readonly name: string
  /** performance.now() when the fault was dealt */
  readonly at: number
}

export interface Recovery {
  readonly fault: string
  /** seconds from the fault to full throughput, undefined if it never came back */
  readonly seconds: number | undefined
  /** the lowest one-second rate between the fault and the recovery, per second */
  readonly lowestPerS: number
}

const WINDOW_MS = 1_000
const STEP_MS = 100

/** how many of the sorted `times` fall in [from, to) */
const countIn = (times: ReadonlyArray<number>, from: number, to: number): number => {
  const firstAtOrAfter = (t: number) => {
    let lo = 0
    let hi = times.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((times[mid] as number) < t) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  return firstAtOrAfter(to) - firstAtOrAfter(from)
}

/** events per second in the `windowMs` before `at` */
export const rateBefore = (times: ReadonlyArray<number>, at: number, windowMs: number): number =>
  (countIn(times, at - windowMs, at) * 1_000) / windowMs

export const recoveryAfter = (
  times: ReadonlyArray<number>,
  fault: Fault,
  baselinePerS: number,
  fraction = 0.8
): Recovery => {
  const last = times.at(-1) ?? fault.at
  let lowest = Number.POSITIVE_INFINITY
  for (let t = fault.at; t + WINDOW_MS <= last; t += STEP_MS) {
    const rate = (countIn(times, t, t + WINDOW_MS) * 1_000) / WINDOW_MS
    if (rate >= fraction * baselinePerS)
      return { fault: fault.name, seconds: (t - fault.at) / 1_000, lowestPerS: Math.min(lowest, rate) }
    lowest = Math.min(lowest, rate)
  }
  return { fault: fault.name, seconds: undefined, lowestPerS: Number.isFinite(lowest) ? lowest : 0 }
}

/** every fault's recovery against the rate before the first one */
export const recoveries = (
  times: ReadonlyArray<number>,
  faults: ReadonlyArray<Fault>,
  baselineWindowMs: number
): { readonly baselinePerS: number; readonly each: ReadonlyArray<Recovery> } => {
  const first = faults[0]
  if (first === undefined) return { baselinePerS: 0, each: [] }
  const baselinePerS = rateBefore(times, first.at, baselineWindowMs)
  return { baselinePerS, each: faults.map((f) => recoveryAfter(times, f, baselinePerS)) }
}

/**
 * The recovery checks and figures every fault scenario reports: a check per fault (it came
 * back), `faults`, `recovery_s` (per fault), `recovery_max_s` and `lowest_rate_per_s`.
 * Answers the per-fault list as printed.
 */
export const reportRecoveries = (
  checks: Checks,
  figures: Record<string, number | string | boolean>,
  faults: ReadonlyArray<Fault>,
  each: ReadonlyArray<Recovery>
): ReadonlyArray<string> => {
  for (const r of each)
    checks.add(
      `full throughput again after ${r.fault}`,
      r.seconds !== undefined,
      r.seconds === undefined ? "never" : `${round(r.seconds)} s (lowest ${round(r.lowestPerS)}/s)`
    )
  const list = each.map((r) => (r.seconds === undefined ? "never" : String(round(r.seconds))))
  figures["faults"] = faults.map((f) => f.name).join("; ")
  figures["recovery_s"] = list.join(",")
  figures["recovery_max_s"] = each.some((r) => r.seconds === undefined)
    ? "never"
    : round(Math.max(...each.map((r) => r.seconds ?? 0)))
  figures["lowest_rate_per_s"] = Math.min(...each.map((r) => round(r.lowestPerS)))
  return list
}
