/**
 * rolling_restart: under a steady load, restart the three nodes one after another as an
 * operator upgrading the cluster would: SIGTERM (Kafka's controlled shutdown moves the
 * node's leadership away first), start it again, wait until every replica is in sync, then
 * the next. With --exactly-once: transaction coordinators move with them. See clusterRun.ts
 * for what is checked.
 */
import { awaitInSync } from "../harness/cluster.ts"
import { runClusterScenario } from "../harness/clusterRun.ts"
import type { Sizes } from "../harness/sizes.ts"
import type { ChaosContext, ScenarioResult } from "../harness/types.ts"

export const rollingRestart = (ctx: ChaosContext, size: Sizes["rolling_restart"]): Promise<ScenarioResult> => {
  const cluster = ctx.cluster
  if (cluster === undefined) throw new Error("rolling_restart needs the run's three-node cluster")
  const took: Array<number> = []
  return runClusterScenario(ctx, {
    name: "rolling_restart",
    exactlyOnce: true,
    size,
    drive: async (run) => {
      for (const node of cluster.nodes) {
        run.fault(`restart node ${node.id}`)
        const began = performance.now()
        await node.stop("SIGTERM")
        await node.start()
        await awaitInSync(ctx.kafka, 120_000)
        took.push(Math.round((performance.now() - began) / 100) / 10)
        await run.sleep(size.betweenMs)
      }
      run.figures["restart_to_in_sync_s"] = took.join(",")
    },
    notes: () => `3 nodes restarted in turn (SIGTERM, start, in sync: ${took.join(" / ")} s)`
  })
}
