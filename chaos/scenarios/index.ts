/** Every scenario by its report name, run with the sizes of the full run or the CI subset. */
import type { Sizes } from "../harness/sizes.ts"
import type { ChaosContext, ScenarioName, ScenarioResult } from "../harness/types.ts"
import { failFast } from "./failFast.ts"
import { hungSink } from "./hungSink.ts"
import { kill9 } from "./kill9.ts"

export type ScenarioRunner = (ctx: ChaosContext, sizes: Sizes) => Promise<ScenarioResult>

export const scenarioRunners: Record<ScenarioName, ScenarioRunner> = {
  kill9: (ctx, s) => kill9(ctx, s.kill9, { exactlyOnce: false }),
  kill9_exactly_once: (ctx, s) => kill9(ctx, s.kill9, { exactlyOnce: true }),
  broker_restart: () => Promise.reject(new Error("not written yet")),
  hung_sink: (ctx, s) => hungSink(ctx, s.hung_sink),
  fail_fast: (ctx, s) => failFast(ctx, s.fail_fast),
  sink_outage: () => Promise.reject(new Error("not written yet")),
  overload: () => Promise.reject(new Error("not written yet")),
  poison: () => Promise.reject(new Error("not written yet")),
  secrets: () => Promise.reject(new Error("not written yet"))
}
