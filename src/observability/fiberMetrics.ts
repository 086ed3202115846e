/**
 * Live Effect fibers in the process, for `/metrics` (`hookstream_fibers_active`): a fiber
 * left behind by a chain (a sink call that outlived its deadline, a forgotten fork) shows as
 * a count that does not come back down once the work is done.
 *
 * Effect calls the FiberRuntimeMetrics service on every fiber's start and end when one is in
 * the context; this one only moves a number (no Effect metric, no allocation), so it costs
 * next to nothing per fiber. `runMain` provides it to every command; fibers started outside
 * (a bare `Effect.runFork`) are not counted.
 */
import { Layer, Metric } from "effect"

let active = 0

const counter: Metric.FiberRuntimeMetricsService = {
  recordFiberStart: () => {
    active++
  },
  recordFiberEnd: () => {
    active--
  }
}

/** Fibers started under `fiberCountLayer` and not ended yet. */
export const activeFibers = (): number => active

export const fiberCountLayer: Layer.Layer<never> = Layer.succeed(Metric.FiberRuntimeMetrics)(counter)
