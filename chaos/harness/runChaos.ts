/**
 * The driver: a broker for the run (a bench-profile local one, or KAFKA_BROKERS), a three-node
 * cluster for the cluster scenarios (started before the first of them), then each
 * selected scenario in turn, each in its own topics, group, tables and subjects. A scenario
 * that throws is reported as an error (not passed); the next one still runs. Every child
 * process is killed on the way out, whatever happened.
 */
import { availableParallelism } from "node:os"
import { logLevel } from "kafkajs"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import { KAFKA_VERSION } from "../../src/kafka/local/KafkaVersion.ts"
import { type LocalKafkaHandle, startLocalKafka } from "../../src/kafka/local/startLocalKafka.ts"
import { scenarioRunners } from "../scenarios/index.ts"
import { killAll } from "./processes.ts"
import type { ChaosReport } from "./report.ts"
import { FULL, QUICK } from "./sizes.ts"
import { type ChaosContext, CLUSTER_SCENARIOS, SCENARIOS, type ScenarioName, type ScenarioResult } from "./types.ts"

/**
 * The context of the cluster scenarios: a three-node cluster of the run's own (always: they
 * kill its nodes, so never KAFKA_BROKERS), test JVM profile (three bench-profile JVMs would
 * not leave the processors much of a 2-core machine).
 */
export const clusterContext = async (
  ctx: Omit<ChaosContext, "brokers" | "kafka" | "cluster">
): Promise<ChaosContext & { cluster: LocalKafkaHandle }> => {
  const cluster = await startLocalKafka({ nodes: 3, brokers: "" })
  ctx.log(`chaos cluster of 3 nodes at ${cluster.brokers} (ready in ${cluster.startedInMs} ms)`)
  return {
    ...ctx,
    brokers: cluster.brokers,
    kafka: makeKafka({ brokers: cluster.brokers.split(","), clientId: "chaos-cluster", logLevel: logLevel.NOTHING }),
    cluster
  }
}

export interface ChaosOptions {
  readonly quick: boolean
  readonly only?: ReadonlyArray<ScenarioName>
  readonly verbose?: boolean
  /** bootstrap servers; default $KAFKA_BROKERS, else a broker of the run's own */
  readonly brokers?: string
  readonly workDir: string
  readonly command?: string
  readonly log?: (line: string) => void
}

export const runChaos = async (options: ChaosOptions): Promise<ChaosReport> => {
  const started = Date.now()
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  process.once("exit", killAll)
  const broker = await startLocalKafka({ profile: "bench", brokers: options.brokers })
  log(
    broker.external
      ? `using the cluster at ${broker.brokers}`
      : `chaos broker at ${broker.brokers} (ready in ${broker.startedInMs} ms)`
  )
  const scenarios: Partial<Record<ScenarioName, ScenarioResult>> = {}
  const errors: Partial<Record<ScenarioName, string>> = {}
  let clusterCtx: (ChaosContext & { cluster: LocalKafkaHandle }) | undefined
  try {
    const ctx: ChaosContext = {
      brokers: broker.brokers,
      kafka: makeKafka({ brokers: broker.brokers.split(","), clientId: "chaos", logLevel: logLevel.NOTHING }),
      runId: `chaos-${Date.now().toString(36)}`,
      workDir: options.workDir,
      quick: options.quick,
      log,
      verbose: options.verbose ?? false
    }
    const sizes = options.quick ? QUICK : FULL
    const selected = new Set<ScenarioName>(options.only ?? SCENARIOS)
    for (const name of SCENARIOS) {
      if (!selected.has(name)) continue
      const t0 = Date.now()
      log(`${name}…`)
      try {
        const onCluster = CLUSTER_SCENARIOS.includes(name)
        if (onCluster) clusterCtx ??= await clusterContext(ctx)
        const result = await scenarioRunners[name](onCluster && clusterCtx !== undefined ? clusterCtx : ctx, sizes)
        scenarios[name] = result
        log(
          `  ${name}: ${result.passed ? "passed" : "FAILED"} — ${result.events} events, ${result.outcomes} outcomes, ` +
            `lost ${result.lost}, duplicates ${result.duplicates} (${((Date.now() - t0) / 1_000).toFixed(1)} s)`
        )
        for (const c of result.checks) if (!c.ok) log(`    failed: ${c.name} — ${c.detail}`)
      } catch (error) {
        errors[name] = error instanceof Error ? (error.stack ?? error.message) : String(error)
        log(`  ${name} ERROR: ${errors[name]}`)
      } finally {
        killAll()
      }
    }
  } finally {
    killAll()
    await clusterCtx?.cluster.stop()
    await broker.stop()
  }
  const ran = Object.values(scenarios)
  return {
    generated_at: new Date().toISOString(),
    command: options.command ?? (options.quick ? "npm run chaos -- --quick" : "npm run chaos"),
    quick: options.quick,
    machine: {
      cpus: availableParallelism(),
      node: process.version,
      kafka: KAFKA_VERSION,
      broker: `${broker.external ? "external (KAFKA_BROKERS)" : "local single node, bench JVM profile"}${
        clusterCtx === undefined
          ? ""
          : "; cluster scenarios: local 3-node cluster (RF 3, min.insync.replicas 2), test JVM profile"
      }`
    },
    wall_s: Math.round((Date.now() - started) / 1_000),
    passed: Object.keys(errors).length === 0 && ran.length > 0 && ran.every((r) => r.passed),
    scenarios,
    errors
  }
}
