/**
 * scale_out: under a steady load, hookstream instances in one group go 1 → 3 (two more
 * join), one of the three is SIGKILLed (its partitions move once its session times out),
 * and one more leaves with SIGTERM (scale-in, which must exit 0), ending with 1. Every
 * change is a rebalance while chains run on several instances. See clusterRun.ts for what is
 * checked.
 */
import { runClusterScenario } from "../harness/clusterRun.ts"
import type { Sizes } from "../harness/sizes.ts"
import type { ChaosContext, ScenarioResult } from "../harness/types.ts"

export const scaleOut = (ctx: ChaosContext, size: Sizes["scale_out"]): Promise<ScenarioResult> =>
  runClusterScenario(ctx, {
    name: "scale_out",
    exactlyOnce: false,
    size,
    drive: async (run) => {
      run.fault("scale out 1 → 3")
      const joined = [run.startInstance(), run.startInstance()]
      await Promise.all(joined.map((p) => p.ready()))
      await run.sleep(size.phaseMs)
      const [crashed, leaving] = joined as [(typeof joined)[number], (typeof joined)[number]]
      run.fault(`SIGKILL ${crashed.label}`)
      await run.stopInstance(crashed, "SIGKILL")
      await run.sleep(size.phaseMs)
      run.fault(`scale in 2 → 1 (SIGTERM ${leaving.label})`)
      await run.stopInstance(leaving, "SIGTERM")
    },
    notes: () => "instances 1 → 3, one SIGKILLed, one SIGTERMed, ending with 1"
  })
