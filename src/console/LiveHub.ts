/**
 * The console's live feed: an RxJS pipeline over the processor's outcomes, shared by every
 * viewer.
 *
 * The processor never waits on it. The tap (`chainFinished`, `deadLettered`) runs on the
 * event's fiber and does O(1) work: it always adds the chain's steps to the totals since the
 * start (StepTotals.ts: a few additions, no allocation); with no viewer connected it does
 * nothing else (the subject is not observed, no object is built); with viewers it also folds
 * the outcome into the current window's fixed-size accumulator (`LiveFrame.addSignal`). Frames leave on a timer,
 * once per window, to every viewer through one `share()`d pipeline, so a hundred open pages
 * cost what one does. A viewer that cannot keep up drops frames (see `sse.ts`); it never
 * holds anything upstream.
 *
 * The last `HISTORY` frames are replayed to a new viewer so its charts start full; the
 * pipeline keeps running `LINGER_MS` after the last viewer left (a page reload keeps its
 * history), then stops and the tap is free again.
 */
import { map, mergeMap, Observable, ReplaySubject, reduce, Subject, share, timer, windowTime } from "rxjs"
import type { DlqReason } from "../domain/DeadLetterRecord.ts"
import type { ChainOutcome } from "../domain/Outcome.ts"
import type { GaugeSources } from "../processor/ProcessorMetrics.ts"
import {
  addSignal,
  emptyWindow,
  type LiveDestination,
  type LiveFrame,
  type LiveGauges,
  type LiveOutcome,
  type LiveSignal,
  toFrame
} from "./LiveFrame.ts"
import { makeStepTotals } from "./StepTotals.ts"

/** frames a new viewer receives at once (2 minutes at the default window) */
export const HISTORY = 120
export const DEFAULT_WINDOW_MS = 1_000
const LINGER_MS = 60_000

/** Where the gauges come from: a running processor, or a poller of the group's lag. */
export type GaugeProvider = () => LiveGauges

export interface LiveHub {
  /** every viewer subscribes to this one pipeline */
  readonly frames: Observable<LiveFrame>
  readonly chainFinished: (webhookId: string, outcome: ChainOutcome, eventId: string) => void
  readonly deadLettered: (reason: DlqReason | string) => void
  /** an event, or the rest of its chain, went to the deferred path */
  readonly deferred: (reason: string) => void
  /** an outcome read back from the results topic (the standalone console) */
  readonly outcome: (outcome: LiveOutcome) => void
  /** adds a gauge source; the returned function removes it */
  readonly attach: (provider: GaugeProvider) => () => void
  /** whether the pipeline runs (a viewer is connected, or left less than a minute ago) */
  readonly active: () => boolean
  /** how many times the pipeline was started (tests: viewers share one) */
  readonly connections: () => number
}

const NO_GAUGES: LiveGauges = { inFlight: null, lag: [], circuits: [], destinations: [] }

/**
 * A processor's gauge sources, as the live view shows them. A processor attaches its parts
 * separately (the engine's destinations, the deferred path's backlog), so each provider gives
 * what it has and `combine` merges the destinations by module and connection.
 */
export const processorGauges =
  (sources: GaugeSources, now: () => number = Date.now): GaugeProvider =>
  () => {
    const destinations: Array<LiveDestination> = []
    for (const d of sources.destinations?.() ?? [])
      destinations.push({ ...d, deferred: 0, oldestDeferredMs: null, circuit: "closed" })
    const t = now()
    for (const d of sources.oldestDeferred?.() ?? [])
      destinations.push({
        module: d.module,
        connection: d.connection,
        inFlight: 0,
        queued: 0,
        deferred: d.held,
        oldestDeferredMs: Math.max(0, t - d.deferredAt),
        circuit: "closed"
      })
    return {
      inFlight: sources.inFlight?.() ?? null,
      lag: (sources.lag?.() ?? []).map((l) => ({ partition: l.partition, lag: l.lag })),
      circuits: sources.circuits?.() ?? [],
      destinations
    }
  }

const destinationKey = (d: { readonly module: string; readonly connection: string }) =>
  `${d.module}\u0000${d.connection}`

/** one row per destination: parts summed, the oldest deferral kept, the circuit's state joined in */
const mergeDestinations = (
  parts: ReadonlyArray<LiveDestination>,
  circuits: LiveGauges["circuits"]
): ReadonlyArray<LiveDestination> => {
  const rows = new Map<string, LiveDestination>()
  for (const d of parts) {
    const key = destinationKey(d)
    const seen = rows.get(key)
    rows.set(
      key,
      seen === undefined
        ? d
        : {
            ...seen,
            inFlight: seen.inFlight + d.inFlight,
            queued: seen.queued + d.queued,
            deferred: seen.deferred + d.deferred,
            oldestDeferredMs:
              seen.oldestDeferredMs === null || d.oldestDeferredMs === null
                ? (seen.oldestDeferredMs ?? d.oldestDeferredMs)
                : Math.max(seen.oldestDeferredMs, d.oldestDeferredMs)
          }
    )
  }
  for (const c of circuits) {
    const row = rows.get(destinationKey(c))
    if (row !== undefined) rows.set(destinationKey(c), { ...row, circuit: c.state })
  }
  // the busiest (most waiting, then oldest deferral) first: what an operator looks for
  return [...rows.values()].sort(
    (a, b) =>
      b.queued + b.deferred - (a.queued + a.deferred) ||
      (b.oldestDeferredMs ?? 0) - (a.oldestDeferredMs ?? 0) ||
      b.inFlight - a.inFlight ||
      destinationKey(a).localeCompare(destinationKey(b))
  )
}

const combine = (providers: ReadonlySet<GaugeProvider>): LiveGauges => {
  if (providers.size === 0) return NO_GAUGES
  let inFlight: number | null = null
  const lag: Array<LiveGauges["lag"][number]> = []
  const circuits: Array<LiveGauges["circuits"][number]> = []
  const destinations: Array<LiveDestination> = []
  for (const p of providers) {
    const g = p()
    if (g.inFlight !== null) inFlight = (inFlight ?? 0) + g.inFlight
    lag.push(...g.lag)
    circuits.push(...g.circuits)
    destinations.push(...g.destinations)
  }
  return {
    inFlight,
    lag: lag.sort((a, b) => a.partition - b.partition),
    circuits,
    destinations: mergeDestinations(destinations, circuits)
  }
}

const liveOutcome = (webhookId: string, outcome: ChainOutcome, eventId: string): LiveOutcome => ({
  webhookId,
  eventId,
  status: outcome.status,
  durationMs: outcome.finishedAt - outcome.startedAt,
  finishedAt: outcome.finishedAt,
  modules: outcome.modules.map((m) => ({
    id: m.id,
    module: m.module,
    status: m.status,
    attempts: m.attempts,
    durationMs: m.duration_ms
  }))
})

export const makeLiveHub = (options: { readonly windowMs?: number; readonly now?: () => number } = {}): LiveHub => {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS
  const now = options.now ?? Date.now
  const signals = new Subject<LiveSignal>()
  const providers = new Set<GaugeProvider>()
  // counted whether or not anyone watches: the streams view shows totals since the start
  const steps = makeStepTotals()
  let connections = 0

  const frames = new Observable<LiveSignal>((subscriber) => {
    connections++
    return signals.subscribe(subscriber)
  }).pipe(
    windowTime(windowMs),
    // each window folds into a fresh accumulator and emits once, when the window closes
    mergeMap((window) => window.pipe(reduce((w, signal: LiveSignal) => addSignal(w, signal), emptyWindow()))),
    map((w) => toFrame(w, steps.view(), combine(providers), now(), windowMs)),
    share({
      connector: () => new ReplaySubject<LiveFrame>(HISTORY),
      resetOnError: true,
      resetOnComplete: true,
      resetOnRefCountZero: () => timer(LINGER_MS)
    })
  )

  return {
    frames,
    chainFinished: (webhookId, outcome, eventId) => {
      const counters = steps.of(webhookId)
      for (const m of outcome.modules) counters.add(m.id, m.status, m.attempts, m.duration_ms)
      // nobody watching: not even the small object below is built
      if (signals.observed) signals.next({ _tag: "Outcome", outcome: liveOutcome(webhookId, outcome, eventId) })
    },
    deadLettered: (reason) => {
      if (signals.observed) signals.next({ _tag: "DeadLetter", reason })
    },
    deferred: (reason) => {
      if (signals.observed) signals.next({ _tag: "Deferred", reason })
    },
    outcome: (outcome) => {
      const counters = steps.of(outcome.webhookId)
      for (const m of outcome.modules) counters.add(m.id, m.status, m.attempts, m.durationMs)
      if (signals.observed) signals.next({ _tag: "Outcome", outcome })
    },
    attach: (provider) => {
      providers.add(provider)
      return () => {
        providers.delete(provider)
      }
    },
    active: () => signals.observed,
    connections: () => connections
  }
}
