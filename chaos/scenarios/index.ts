/** Every scenario by its report name, run with the sizes of the full run or the CI subset. */
import type { Sizes } from "../harness/sizes.ts"
import type { ChaosContext, ScenarioName, ScenarioResult } from "../harness/types.ts"
import { brokerFailover } from "./brokerFailover.ts"
import { brokerRestart } from "./brokerRestart.ts"
import { failFast } from "./failFast.ts"
import { hungSink } from "./hungSink.ts"
import { ingressFailover } from "./ingressFailover.ts"
import { kill9 } from "./kill9.ts"
import { noisyNeighbour } from "./noisyNeighbour.ts"
import { overload } from "./overload.ts"
import { poison } from "./poison.ts"
import { rollingRestart } from "./rollingRestart.ts"
import { scaleOut } from "./scaleOut.ts"
import { secrets } from "./secrets.ts"
import { sinkOutage } from "./sinkOutage.ts"

export type ScenarioRunner = (ctx: ChaosContext, sizes: Sizes) => Promise<ScenarioResult>

export const scenarioRunners: Record<ScenarioName, ScenarioRunner> = {
  kill9: (ctx, s) => kill9(ctx, s.kill9, { exactlyOnce: false }),
  kill9_exactly_once: (ctx, s) => kill9(ctx, s.kill9, { exactlyOnce: true }),
  broker_restart: (ctx, s) => brokerRestart(ctx, s.broker_restart),
  hung_sink: (ctx, s) => hungSink(ctx, s.hung_sink),
  fail_fast: (ctx, s) => failFast(ctx, s.fail_fast),
  sink_outage: (ctx, s) => sinkOutage(ctx, s.sink_outage),
  overload: (ctx, s) => overload(ctx, s.overload),
  poison: (ctx, s) => poison(ctx, s.poison),
  secrets: (ctx, s) => secrets(ctx, s.secrets),
  noisy_neighbour: (ctx, s) => noisyNeighbour(ctx, s.noisy_neighbour),
  broker_failover: (ctx, s) => brokerFailover(ctx, s.broker_failover),
  rolling_restart: (ctx, s) => rollingRestart(ctx, s.rolling_restart),
  scale_out: (ctx, s) => scaleOut(ctx, s.scale_out),
  ingress_failover: (ctx, s) => ingressFailover(ctx, s.ingress_failover)
}
