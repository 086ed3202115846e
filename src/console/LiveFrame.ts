/**
 * What the console's live view receives once a window (a second or two): counts by outcome,
 * the dead-letter rate, chain duration quantiles, the processor's gauges and the newest
 * outcomes. A window is folded event by event into a fixed-size accumulator, so memory stays
 * bounded whatever the event rate. Pure.
 */
import type { ChainStatus, ModuleStatus } from "../domain/Outcome.ts"
import type { StepTotalsView } from "./StepTotals.ts"

/** One finished chain, as the live tail shows it. */
export interface LiveOutcome {
  readonly webhookId: string
  readonly eventId: string
  readonly status: ChainStatus
  readonly durationMs: number
  /** epoch ms */
  readonly finishedAt: number
  readonly modules: ReadonlyArray<{
    readonly id: string
    readonly module: string
    readonly status: ModuleStatus
    readonly attempts: number
    readonly durationMs: number
  }>
}

/** What the tap pushes: a finished chain, or a dead letter (with or without a chain before it). */
export type LiveSignal =
  | { readonly _tag: "Outcome"; readonly outcome: LiveOutcome }
  | { readonly _tag: "DeadLetter"; readonly reason: string }
  | { readonly _tag: "Deferred"; readonly reason: string }

/** One destination (a connection, or a step without one) as the processor sees it now. */
export interface LiveDestination {
  readonly module: string
  readonly connection: string
  /** sends holding one of its `max_in_flight` slots */
  readonly inFlight: number
  /** sends waiting for a slot (past `max_queued`, new work for it is deferred) */
  readonly queued: number
  /** deferred records for it this process holds and has not finished */
  readonly deferred: number
  /** age of the oldest of those; null when none */
  readonly oldestDeferredMs: number | null
  /** its circuit breaker: closed, half_open, open */
  readonly circuit: string
}

export interface LiveGauges {
  /** `null` when the source cannot tell (the standalone console tails topics) */
  readonly inFlight: number | null
  readonly lag: ReadonlyArray<{ readonly partition: number; readonly lag: number }>
  readonly circuits: ReadonlyArray<{ readonly module: string; readonly connection: string; readonly state: string }>
  /** per destination, busiest first; empty when the source cannot tell (the standalone console) */
  readonly destinations: ReadonlyArray<LiveDestination>
}

export interface LiveFrame {
  /** end of the window, epoch ms */
  readonly t: number
  readonly windowMs: number
  readonly events: number
  readonly byStatus: Readonly<Record<string, number>>
  readonly deadLetters: number
  readonly byReason: Readonly<Record<string, number>>
  /** events (or the rest of their chains) handed to the deferred path in the window, by reason */
  readonly deferred: number
  readonly byDeferral: Readonly<Record<string, number>>
  /** chain duration quantiles over the window's (sampled) outcomes; null without outcomes */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  readonly gauges: LiveGauges
  /** newest first */
  readonly tail: ReadonlyArray<LiveOutcome>
  /** since the process started, by `<webhook_id>/<step id>` (see StepTotals.ts) */
  readonly modules: Readonly<Record<string, StepTotalsView>>
}

/** outcomes kept per window for the tail */
export const TAIL_SIZE = 25
/** durations kept per window for the quantiles (a uniform reservoir sample beyond this) */
export const RESERVOIR_SIZE = 1_024
export interface LiveWindow {
  events: number
  deadLetters: number
  deferred: number
  readonly byStatus: Map<string, number>
  readonly byReason: Map<string, number>
  readonly byDeferral: Map<string, number>
  /** sampled durations; `seen` counts every one offered */
  readonly durations: Array<number>
  seen: number
  /** ring of the newest outcomes; `next` is where the following one goes */
  readonly tail: Array<LiveOutcome>
  next: number
}

export const emptyWindow = (): LiveWindow => ({
  events: 0,
  deadLetters: 0,
  deferred: 0,
  byStatus: new Map(),
  byReason: new Map(),
  byDeferral: new Map(),
  durations: [],
  seen: 0,
  tail: [],
  next: 0
})

const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1)

/** Folds one signal into the window (mutates it: the window is private to one pipeline). */
export const addSignal = (w: LiveWindow, signal: LiveSignal, random: () => number = Math.random): LiveWindow => {
  if (signal._tag === "DeadLetter") {
    w.deadLetters++
    bump(w.byReason, signal.reason)
    return w
  }
  if (signal._tag === "Deferred") {
    w.deferred++
    bump(w.byDeferral, signal.reason)
    return w
  }
  const o = signal.outcome
  w.events++
  bump(w.byStatus, o.status)
  w.seen++
  if (w.durations.length < RESERVOIR_SIZE) w.durations.push(o.durationMs)
  else {
    const slot = Math.floor(random() * w.seen)
    if (slot < RESERVOIR_SIZE) w.durations[slot] = o.durationMs
  }
  if (w.tail.length < TAIL_SIZE) w.tail.push(o)
  else w.tail[w.next] = o
  w.next = (w.next + 1) % TAIL_SIZE
  return w
}

/** The q-quantile (0..1) of unsorted values, nearest rank; null when empty. */
export const quantile = (values: ReadonlyArray<number>, q: number): number | null => {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] ?? null
}

export const toFrame = (
  w: LiveWindow,
  modules: Readonly<Record<string, StepTotalsView>>,
  gauges: LiveGauges,
  t: number,
  windowMs: number
): LiveFrame => {
  // the ring from newest to oldest
  const tail: Array<LiveOutcome> = []
  for (let i = 1; i <= w.tail.length; i++) {
    const o = w.tail[(w.next - i + TAIL_SIZE * 2) % TAIL_SIZE]
    if (o !== undefined) tail.push(o)
  }
  return {
    t,
    windowMs,
    events: w.events,
    byStatus: Object.fromEntries(w.byStatus),
    deadLetters: w.deadLetters,
    byReason: Object.fromEntries(w.byReason),
    deferred: w.deferred,
    byDeferral: Object.fromEntries(w.byDeferral),
    p50Ms: quantile(w.durations, 0.5),
    p99Ms: quantile(w.durations, 0.99),
    gauges,
    tail,
    modules
  }
}
