/**
 * What every chaos scenario gets and gives back. A scenario runs the real processor
 * (`bin/hookstream.js run`) as a child process against a real broker and real sinks, checks
 * its required properties from what landed on the results/DLQ topics and in the sinks, and
 * answers a ScenarioResult: the figures for the report and every check with its verdict.
 */
import type { Kafka } from "kafkajs"
import type { LocalKafkaHandle } from "../../src/kafka/local/startLocalKafka.ts"

export const SCENARIOS = [
  "kill9",
  "kill9_exactly_once",
  "broker_restart",
  "hung_sink",
  "fail_fast",
  "sink_outage",
  "overload",
  "poison",
  "secrets",
  "noisy_neighbour",
  "broker_failover",
  "rolling_restart",
  "scale_out",
  "ingress_failover"
] as const
export type ScenarioName = (typeof SCENARIOS)[number]

/** Scenarios that kill and restart brokers: they run on a three-node cluster of the run's own. */
export const CLUSTER_SCENARIOS: ReadonlyArray<ScenarioName> = [
  "broker_failover",
  "rolling_restart",
  "scale_out",
  "ingress_failover"
]

export interface Check {
  readonly name: string
  readonly ok: boolean
  /** the measured value behind the verdict */
  readonly detail: string
}

export interface ScenarioResult {
  /** input records the scenario produced (every one must end with an outcome) */
  readonly events: number
  /** outcome records read back (results + dead letters, duplicates included) */
  readonly outcomes: number
  /** events without any result or dead-letter record */
  readonly lost: number
  /** outcome records beyond one per event (a failed chain's result + dead letter count as one) */
  readonly duplicates: number
  readonly passed: boolean
  readonly notes: string
  readonly seconds: number
  readonly checks: ReadonlyArray<Check>
  /** scenario-specific numbers (RSS, lag, durations…) */
  readonly figures: Readonly<Record<string, number | string | boolean>>
}

export interface ChaosContext {
  /** bootstrap servers of the run's broker (never stopped by a scenario) */
  readonly brokers: string
  readonly kafka: Kafka
  /** unique per run: prefixes topics, groups, tables, subjects */
  readonly runId: string
  /** where scenarios write their stream files, connections and processor logs */
  readonly workDir: string
  readonly quick: boolean
  readonly log: (line: string) => void
  /** echo the processors' output */
  readonly verbose: boolean
  /** the three-node cluster (CLUSTER_SCENARIOS only; `brokers` and `kafka` then point at it) */
  readonly cluster?: LocalKafkaHandle
}

/** Collects checks; a scenario's verdict is that all of them passed. */
export class Checks {
  readonly list: Array<Check> = []
  add(name: string, ok: boolean, detail: string): boolean {
    this.list.push({ name, ok, detail })
    return ok
  }
  get passed(): boolean {
    return this.list.length > 0 && this.list.every((c) => c.ok)
  }
  failures(): ReadonlyArray<Check> {
    return this.list.filter((c) => !c.ok)
  }
}

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits))

/** A scenario's result: its counts, the verdict and checks from `checks`, seconds since `started`. */
export const scenarioResult = (
  counts: { readonly events: number; readonly outcomes: number; readonly lost: number; readonly duplicates: number },
  checks: Checks,
  started: number,
  notes: string,
  figures: ScenarioResult["figures"]
): ScenarioResult => ({
  events: counts.events,
  outcomes: counts.outcomes,
  lost: counts.lost,
  duplicates: counts.duplicates,
  passed: checks.passed,
  notes,
  seconds: round((Date.now() - started) / 1_000),
  checks: checks.list,
  figures
})
