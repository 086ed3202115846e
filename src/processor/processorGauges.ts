/**
 * Where the processor's gauges read from: consumer lag per owned partition and breaker state
 * per destination connection.
 *
 * Lag = high watermark − committed offset. High watermarks come with every fetched batch and,
 * every few seconds, from the broker (a paused or idle partition fetches nothing, and a lag
 * gauge that froze while the backlog grew would hide exactly what it is for). The committed
 * offset is this instance's own, else the group's as last read.
 */
import { Effect } from "effect"
import type { CircuitState, GuardRegistry } from "../engine/Guard.ts"
import type { InputConsumer } from "../kafka/InputConsumer.ts"
import type { StreamTable } from "./HandlerContext.ts"

export interface LagTracker {
  readonly observeHigh: (partition: number, highWatermark: number) => void
  /** reads every partition's high watermark and the group's offsets from the broker */
  readonly refresh: Effect.Effect<void>
  readonly lag: (
    assigned: ReadonlyArray<number>,
    committedHere: (partition: number) => number | undefined
  ) => ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly lag: number }>
}

export const makeLagTracker = (topic: string, consumer: InputConsumer): LagTracker => {
  const high = new Map<number, number>()
  const groupCommitted = new Map<number, number>()
  const observeHigh = (partition: number, hw: number) => {
    if (hw > (high.get(partition) ?? -1)) high.set(partition, hw)
  }
  return {
    observeHigh,
    refresh: Effect.gen(function* () {
      const highs = yield* consumer.highWatermarks
      for (const [p, hw] of highs) high.set(p, hw)
      const committed = yield* consumer.committed
      for (const [p, o] of committed) groupCommitted.set(p, o)
    }).pipe(Effect.ignore),
    lag: (assigned, committedHere) =>
      assigned.flatMap((partition) => {
        const hw = high.get(partition)
        if (hw === undefined) return []
        const committed = Math.max(committedHere(partition) ?? -1, groupCommitted.get(partition) ?? -1, 0)
        return [{ topic, partition, lag: Math.max(0, hw - committed) }]
      })
  }
}

export interface CircuitLabels {
  readonly module: string
  readonly connection: string
}

/**
 * Guard key → labels. A step with a named connection is guarded per connection (the key is
 * the connection's name); one without is guarded per step (`<webhook>/<module id>`), which
 * then stands in as its connection label. Both are bounded by the loaded files.
 */
export const circuitLabels = (streams: StreamTable): ReadonlyMap<string, CircuitLabels> => {
  const labels = new Map<string, CircuitLabels>()
  for (const stream of streams.values()) {
    for (const step of stream.chain.steps) {
      const { guard, module, connection } = step.plan
      if (!labels.has(guard.key)) labels.set(guard.key, { module, connection: connection ?? guard.key })
    }
  }
  return labels
}

/** labels of the streams run now: read at every scrape, so a reload's connections show up (and removed ones go) */
export const circuitStates =
  (streams: StreamTable, guards: GuardRegistry) =>
  (): ReadonlyArray<CircuitLabels & { readonly state: CircuitState }> => {
    const labels = circuitLabels(streams)
    return guards.snapshot().flatMap((g) => {
      const l = labels.get(g.key)
      return l === undefined ? [] : [{ ...l, state: g.state }]
    })
  }

/** Per destination: in flight, waiting for a slot, and the circuit's state. */
export const destinationStates =
  (streams: StreamTable, guards: GuardRegistry) => (): ReadonlyArray<DestinationState> => {
    const labels = circuitLabels(streams)
    return guards.snapshot().flatMap((g) => {
      const l = labels.get(g.key)
      return l === undefined ? [] : [{ ...l, state: g.state, inFlight: g.inFlight, queued: g.queued }]
    })
  }

export interface DestinationState extends CircuitLabels {
  readonly state: CircuitState
  readonly inFlight: number
  readonly queued: number
}

/** The gauges of the destinations the streams use (once per process, whatever runs them). */
export const destinationGauges = (streams: StreamTable, guards: GuardRegistry) => ({
  circuits: circuitStates(streams, guards),
  destinations: destinationStates(streams, guards)
})
