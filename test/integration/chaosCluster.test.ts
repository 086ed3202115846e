/**
 * The reliability suite's cluster scenarios in the CI subset: broker_failover, scale_out
 * and ingress_failover at the quick sizes (chaos/harness/sizes.ts
 * QUICK), on a three-node cluster of this file's own (replication factor 3,
 * min.insync.replicas=2), with the same checks as `npm run chaos`: lost 0, order violations
 * 0 at the sink, duplicates 0 where exactly-once, full throughput again after each fault.
 * Kills and restarts the cluster's nodes, so it never runs on KAFKA_BROKERS.
 *
 * rolling_restart is not in this subset: exactly-once across transaction-coordinator moves
 * still publishes duplicate outcomes with KafkaJS's transactional producer (quick runs on
 * 2026-12-07: 250 and 586 before serialising commits and settling commits in doubt, 36 after;
 * 0 lost). It stays in `npm run chaos`, where it fails loudly until that is fixed (issue 22).
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { killAll } from "../../chaos/harness/processes.ts"
import { clusterContext } from "../../chaos/harness/runChaos.ts"
import { QUICK } from "../../chaos/harness/sizes.ts"
import { CLUSTER_SCENARIOS } from "../../chaos/harness/types.ts"
import { scenarioRunners } from "../../chaos/scenarios/index.ts"
import { expectScenarioPassed } from "../support/chaosScenario.ts"
import { uniqueName } from "../support/kafka.ts"

const workDir = await mkdtemp(join(tmpdir(), "hookstream-chaos-cluster-ci-"))
const lines: Array<string> = []
let ctx: Awaited<ReturnType<typeof clusterContext>> | undefined

beforeAll(async () => {
  ctx = await clusterContext({
    runId: uniqueName("chaos"),
    workDir,
    quick: true,
    log: (line) => lines.push(line),
    verbose: false
  })
}, 120_000)

afterAll(async () => {
  killAll()
  await ctx?.cluster.stop()
  await rm(workDir, { recursive: true, force: true })
})

describe("chaos on a three-node cluster (CI subset)", () => {
  for (const name of CLUSTER_SCENARIOS.filter((n) => n !== "rolling_restart")) {
    it(name, { timeout: 300_000 }, async () => {
      if (ctx === undefined) throw new Error("no cluster")
      lines.length = 0
      const result = await scenarioRunners[name](ctx, QUICK).finally(killAll)
      expectScenarioPassed(name, result, lines)
      expect(result.figures["order_violations"]).toBe(0)
    })
  }
})
