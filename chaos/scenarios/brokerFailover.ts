/**
 * broker_failover: under a steady load, SIGKILL the node that leads the most input and
 * results partitions (no controlled shutdown: its partitions have no leader until the
 * controller fences it, ~9 s by Kafka's default broker.session.timeout.ms), keep it down,
 * then bring it back and wait until every replica is in sync again. The processor must carry
 * on by itself; see clusterRun.ts for what is checked.
 */
import { awaitInSync, busiestLeader } from "../harness/cluster.ts"
import { runClusterScenario } from "../harness/clusterRun.ts"
import type { Sizes } from "../harness/sizes.ts"
import type { ChaosContext, ScenarioResult } from "../harness/types.ts"

export const brokerFailover = (ctx: ChaosContext, size: Sizes["broker_failover"]): Promise<ScenarioResult> => {
  const cluster = ctx.cluster
  if (cluster === undefined) throw new Error("broker_failover needs the run's three-node cluster")
  let victim = 0
  return runClusterScenario(ctx, {
    name: "broker_failover",
    exactlyOnce: false,
    size,
    drive: async (run) => {
      victim = await busiestLeader(ctx.kafka, [run.ws.topics.input, run.ws.topics.results])
      const node = cluster.nodes.find((n) => n.id === victim)
      if (node === undefined) throw new Error(`no node ${victim}`)
      run.fault(`SIGKILL node ${victim}`)
      const down = performance.now()
      await node.stop("SIGKILL")
      await run.sleep(size.downMs)
      run.fault(`node ${victim} back`)
      await node.start()
      run.figures["down_s"] = Math.round((performance.now() - down) / 100) / 10
      await awaitInSync(ctx.kafka, 120_000)
      run.figures["in_sync_after_s"] = Math.round((performance.now() - down) / 100) / 10
    },
    notes: (run) => `node ${victim} (most input+results leaders) SIGKILLed, back after ${run.figures["down_s"]} s`
  })
}
