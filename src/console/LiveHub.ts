/**
 * The console's live feed: an RxJS pipeline over the processor's outcomes, shared by every
 * viewer.
 *
 * The processor never waits on it. The tap (`chainFinished`, `deadLettered`) runs on the
 * event's fiber and does O(1) work: with no viewer connected it returns at once (the
 * subject is not observed, nothing is built); with viewers it folds the outcome into the
 * current window's fixed-size accumulator (`LiveFrame.addSignal`). Frames leave on a timer,
 * once per window, to every viewer through one `share()`d pipeline, so a hundred open pages
 * cost what one does. A viewer that cannot keep up drops frames (see `sse.ts`); it never
 * holds anything upstream.
 *
 * The last `HISTORY` frames are replayed to a new viewer so its charts start full; the
 * pipeline keeps running `LINGER_MS` after the last viewer left (a page reload keeps its
 * history), then stops and the tap is free again.
 */
import { mergeMap, Observable, ReplaySubject, reduce, Subject, scan, share, timer, windowTime } from "rxjs"
import type { DlqReason } from "../domain/DeadLetterRecord.ts"
import type { ChainOutcome } from "../domain/Outcome.ts"
import type { GaugeSources } from "../processor/ProcessorMetrics.ts"
import {
  addSignal,
  emptyWindow,
  type LiveFrame,
  type LiveGauges,
  type LiveOutcome,
  type LiveSignal,
  type ModuleAccumulator,
  mergeModules,
  toFrame
} from "./LiveFrame.ts"

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
  /** an outcome read back from the results topic (the standalone console) */
  readonly outcome: (outcome: LiveOutcome) => void
  /** adds a gauge source; the returned function removes it */
  readonly attach: (provider: GaugeProvider) => () => void
  /** whether the pipeline runs (a viewer is connected, or left less than a minute ago) */
  readonly active: () => boolean
  /** how many times the pipeline was started (tests: viewers share one) */
  readonly connections: () => number
}

const NO_GAUGES: LiveGauges = { inFlight: null, lag: [], circuits: [] }

/** A processor's gauge sources, as the live view shows them. */
export const processorGauges =
  (sources: GaugeSources): GaugeProvider =>
  () => ({
    inFlight: sources.inFlight?.() ?? null,
    lag: (sources.lag?.() ?? []).map((l) => ({ partition: l.partition, lag: l.lag })),
    circuits: sources.circuits?.() ?? []
  })

const combine = (providers: ReadonlySet<GaugeProvider>): LiveGauges => {
  if (providers.size === 0) return NO_GAUGES
  let inFlight: number | null = null
  const lag: Array<LiveGauges["lag"][number]> = []
  const circuits: Array<LiveGauges["circuits"][number]> = []
  for (const p of providers) {
    const g = p()
    if (g.inFlight !== null) inFlight = (inFlight ?? 0) + g.inFlight
    lag.push(...g.lag)
    circuits.push(...g.circuits)
  }
  return { inFlight, lag: lag.sort((a, b) => a.partition - b.partition), circuits }
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
  let connections = 0

  const frames = new Observable<LiveSignal>((subscriber) => {
    connections++
    return signals.subscribe(subscriber)
  }).pipe(
    windowTime(windowMs),
    // each window folds into a fresh accumulator and emits once, when the window closes
    mergeMap((window) => window.pipe(reduce((w, signal: LiveSignal) => addSignal(w, signal), emptyWindow()))),
    scan(
      (acc: { modules: ModuleAccumulator; frame: LiveFrame | undefined }, w) => {
        mergeModules(acc.modules, w)
        acc.frame = toFrame(w, acc.modules, combine(providers), now(), windowMs)
        return acc
      },
      { modules: new Map(), frame: undefined }
    ),
    mergeMap((acc) => (acc.frame === undefined ? [] : [acc.frame])),
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
      // nobody watching: not even the small object below is built
      if (signals.observed) signals.next({ _tag: "Outcome", outcome: liveOutcome(webhookId, outcome, eventId) })
    },
    deadLettered: (reason) => {
      if (signals.observed) signals.next({ _tag: "DeadLetter", reason })
    },
    outcome: (outcome) => {
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
