/**
 * The reliability suite's CI subset: every chaos scenario (chaos/scenarios/) at the quick
 * sizes (chaos/harness/sizes.ts QUICK: small counts, short outages), with the same checks as
 * `npm run chaos`, on the run's broker (broker_restart starts one of its own). Each scenario
 * runs the real `hookstream run` process and verifies from the results/DLQ topics and the
 * sinks; a failed check fails the test with its measured value. The cluster scenarios are in
 * chaosCluster.test.ts.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { logLevel } from "kafkajs"
import { afterAll, describe, it } from "vitest"
import { killAll } from "../../chaos/harness/processes.ts"
import { QUICK } from "../../chaos/harness/sizes.ts"
import { type ChaosContext, CLUSTER_SCENARIOS, SCENARIOS, type ScenarioName } from "../../chaos/harness/types.ts"
import { scenarioRunners } from "../../chaos/scenarios/index.ts"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import {
  DEFAULT_PRODUCER_CLIENT,
  type ProducerClient,
  producerClients
} from "../../src/kafka/producer/ProducerDriver.ts"
import { expectScenarioPassed } from "../support/chaosScenario.ts"
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

/**
 * Every scenario on the default producer client; the ones where the outcome producer meets a
 * failure (a killed processor, a restarted broker) also on the other, through the env
 * variable the spawned `hookstream run` reads.
 */
const OTHER_CLIENT_SCENARIOS: ReadonlyArray<ScenarioName> = ["kill9", "broker_restart"]
const otherClient = producerClients.find((c) => c !== DEFAULT_PRODUCER_CLIENT) ?? "kafkajs"
const runs: ReadonlyArray<{ readonly name: ScenarioName; readonly client?: ProducerClient }> = [
  // the cluster scenarios run on a three-node cluster of their own: chaosCluster.test.ts
  ...SCENARIOS.filter((n) => !CLUSTER_SCENARIOS.includes(n)).map((name) => ({ name })),
  ...OTHER_CLIENT_SCENARIOS.map((name) => ({ name, client: otherClient }))
]

describe("chaos (CI subset)", () => {
  for (const { name, client } of runs) {
    it(client === undefined ? name : `${name} (${client} producer)`, { timeout: 180_000 }, async () => {
      lines.length = 0
      const previous = process.env["HOOKSTREAM_PRODUCER_CLIENT"]
      if (client !== undefined) process.env["HOOKSTREAM_PRODUCER_CLIENT"] = client
      const result = await scenarioRunners[name](ctx, QUICK).finally(() => {
        killAll()
        if (previous === undefined) delete process.env["HOOKSTREAM_PRODUCER_CLIENT"]
        else process.env["HOOKSTREAM_PRODUCER_CLIENT"] = previous
      })
      expectScenarioPassed(name, result, lines)
    })
  }
})
