/**
 * The reliability suite's CI subset: every chaos scenario (chaos/scenarios/) at the quick
 * sizes (chaos/harness/sizes.ts QUICK: small counts, short outages), with the same checks as
 * `npm run chaos`, on the run's broker (broker_restart starts one of its own). Each scenario
 * runs the real `hookstream run` process and verifies from the results/DLQ topics and the
 * sinks; a failed check fails the test with its measured value.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { logLevel } from "kafkajs"
import { afterAll, describe, expect, it } from "vitest"
import { killAll } from "../../chaos/harness/processes.ts"
import { QUICK } from "../../chaos/harness/sizes.ts"
import { type ChaosContext, SCENARIOS } from "../../chaos/harness/types.ts"
import { scenarioRunners } from "../../chaos/scenarios/index.ts"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import { kafkaBrokers, uniqueName } from "../support/kafka.ts"

const workDir = await mkdtemp(join(tmpdir(), "hookstream-chaos-ci-"))
const lines: Array<string> = []
const ctx: ChaosContext = {
  brokers: kafkaBrokers(),
  kafka: makeKafka({ brokers: kafkaBrokers().split(","), clientId: "chaos-ci", logLevel: logLevel.NOTHING }),
  runId: uniqueName("chaos"),
  workDir,
  quick: true,
  log: (line) => lines.push(line),
  verbose: false
}

afterAll(async () => {
  killAll()
  await rm(workDir, { recursive: true, force: true })
})

describe("chaos (CI subset)", () => {
  for (const name of SCENARIOS) {
    it(name, { timeout: 180_000 }, async () => {
      lines.length = 0
      const result = await scenarioRunners[name](ctx, QUICK).finally(killAll)
      const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)
      expect(failed, `${name}: ${result.notes}\n${lines.join("\n")}`).toEqual([])
      expect(result.passed).toBe(true)
      expect(result.lost).toBe(0)
      expect(result.events).toBeGreaterThan(0)
    })
  }
})
