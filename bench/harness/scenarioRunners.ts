/**
 * The scenario runners. A pipe scenario: fresh topics (outcomes with LogAppendTime), the input
 * pre-filled (or produced at a fixed rate), the consumer in its own process until every event
 * has an outcome, then the outcome topic read back for latencies. Topics are deleted after.
 */
import { Effect } from "effect"
import type { Kafka } from "kafkajs"
import { ensureTopics } from "../../src/kafka/topics.ts"
import { benchRecordBytes } from "./benchEvent.ts"
import type { ScenarioResult } from "./benchReport.ts"
import type { BenchSettings } from "./benchSettings.ts"
import type { ChildSettings } from "./childProtocol.ts"
import { latencySummary } from "./latencySummary.ts"
import { prefill } from "./prefill.ts"
import { producePaced } from "./producePaced.ts"
import { readOutcomeLatencies } from "./readOutcomeLatencies.ts"
import { runBrokerCeiling } from "./runBrokerCeiling.ts"
import { type ChildKind, runConsumerChild } from "./runConsumerChild.ts"

export interface ScenarioContext {
  readonly kafka: Kafka
  readonly brokers: string
  readonly runId: string
  readonly settings: BenchSettings
  readonly verbose: boolean
  /** Node flags for the consumer processes (profiling) */
  readonly childExecArgv: ReadonlyArray<string>
  readonly log: (line: string) => void
}

export interface PipeSpec {
  readonly name: string
  readonly kind: ChildKind
  readonly chain: ChildSettings["chain"]
  readonly execution?: ChildSettings["execution"]
  readonly partitions: number
  readonly sinkUrl?: string
  readonly records?: ChildSettings["records"]
  readonly producerClient?: ChildSettings["producerClient"]
  readonly deferral?: boolean
  /** distinct record keys of the pre-filled events (default: the settings' `keys`) */
  readonly keys?: number
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits))

const topicsFor = async (ctx: ScenarioContext, name: string, partitions: number) => {
  const base = `${ctx.runId}.${name}`
  const topics = { input: `${base}.in`, output: `${base}.out`, dlq: `${base}.dlq` }
  const appendTime = { "message.timestamp.type": "LogAppendTime" }
  await Effect.runPromise(
    ensureTopics(ctx.kafka, [
      { topic: topics.input, partitions },
      { topic: topics.output, partitions, configs: appendTime },
      { topic: topics.dlq, partitions: 1, configs: appendTime }
    ])
  )
  return topics
}

const deleteTopics = async (kafka: Kafka, topics: ReadonlyArray<string>) => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.deleteTopics({ topics: [...topics], timeout: 30_000 })
  } catch {
    // best effort: a local broker's data goes with it anyway
  } finally {
    await admin.disconnect()
  }
}

/** ms a scenario may run before it counts as stuck: generous, from a pessimistic 50 events/s */
const stuckAfterMs = (events: number) => 120_000 + events * 20

type Feed =
  | { readonly type: "prefill"; readonly events: number }
  | { readonly type: "paced"; readonly ratePerS: number; readonly durationMs: number; readonly warmupMs: number }

export const runPipeScenario = async (ctx: ScenarioContext, spec: PipeSpec, feed: Feed): Promise<ScenarioResult> => {
  const topics = await topicsFor(ctx, spec.name, spec.partitions)
  try {
    const expected = feed.type === "prefill" ? feed.events : Math.round((feed.ratePerS * feed.durationMs) / 1_000)
    if (feed.type === "prefill") {
      const started = Date.now()
      await prefill(ctx.kafka, topics.input, feed.events, { keys: spec.keys ?? ctx.settings.keys })
      ctx.log(`  pre-filled ${feed.events} events in ${((Date.now() - started) / 1_000).toFixed(1)} s`)
    }
    const child = await runConsumerChild(
      spec.kind,
      {
        brokers: ctx.brokers.split(","),
        input: topics.input,
        output: topics.output,
        dlq: topics.dlq,
        group: `${ctx.runId}.${spec.name}`,
        expected,
        chain: spec.chain,
        execution: spec.execution ?? "sequential",
        ...(spec.sinkUrl === undefined ? {} : { sinkUrl: spec.sinkUrl }),
        ...(spec.records === undefined ? {} : { records: spec.records }),
        ...(spec.producerClient === undefined ? {} : { producerClient: spec.producerClient }),
        ...(spec.deferral === undefined ? {} : { deferral: spec.deferral })
      },
      { verbose: ctx.verbose, execArgv: ctx.childExecArgv, timeoutMs: stuckAfterMs(expected) }
    )
    let done: Awaited<typeof child.finished>
    let pacedFrom = 0
    let lateTicks = 0
    try {
      if (feed.type === "paced") {
        const paced = await producePaced(ctx.kafka, topics.input, {
          ratePerS: feed.ratePerS,
          durationMs: feed.durationMs,
          keys: spec.keys ?? ctx.settings.keys
        })
        pacedFrom = paced.startedAt + feed.warmupMs
        lateTicks = paced.lateTicks
      }
      done = await child.finished
    } finally {
      await child.stop()
    }
    const outcomes = await readOutcomeLatencies(ctx.kafka, topics.output, {
      expected,
      ...(feed.type === "paced" ? { producedFrom: pacedFrom } : {})
    })
    const latency = latencySummary(outcomes.latencies)
    const windowMs =
      feed.type === "paced"
        ? Math.max(1, outcomes.lastAt - outcomes.firstAt)
        : Math.max(1, outcomes.lastAt - done.readyAt)
    const cpuWindowS = Math.max(0.001, (done.doneAt - done.readyAt) / 1_000)
    const dlq = await readOutcomeLatencies(ctx.kafka, topics.dlq, { expected: 0 })
    const extra: Record<string, number> = {}
    if (feed.type === "paced") {
      extra["rate_per_s"] = feed.ratePerS
      extra["latency_samples"] = latency.count
      extra["producer_late_ticks"] = lateTicks
    }
    if (dlq.records > 0 || outcomes.records < expected) {
      extra["outcomes"] = outcomes.records
      extra["dead_letters"] = dlq.records
      extra["expected"] = expected
    }
    return {
      events: done.processed,
      events_per_s: round((outcomes.records * 1_000) / windowMs),
      p50_ms: round(latency.p50),
      p95_ms: round(latency.p95),
      p99_ms: round(latency.p99),
      max_ms: round(latency.max),
      peak_rss_mb: round(done.maxRssMb),
      cpu_s: round(done.cpuS, 2),
      cpu_pct: round((done.cpuS / cpuWindowS) * 100),
      cpu_us_per_event: round((done.cpuS * 1e6) / Math.max(1, done.processed)),
      seconds: round(windowMs / 1_000, 2),
      notes:
        feed.type === "paced"
          ? `fixed rate ${feed.ratePerS}/s for ${feed.durationMs / 1_000} s; latencies of events after the first ${feed.warmupMs / 1_000} s`
          : "pre-filled: latencies include the time waiting in the backlog",
      ...(Object.keys(extra).length === 0 ? {} : { extra })
    }
  } finally {
    await deleteTopics(ctx.kafka, [topics.input, topics.output, topics.dlq])
  }
}

export const runBrokerCeilingScenario = async (ctx: ScenarioContext, records: number): Promise<ScenarioResult> => {
  const topic = `${ctx.runId}.broker_ceiling`
  await Effect.runPromise(ensureTopics(ctx.kafka, [{ topic, partitions: ctx.settings.partitions }]))
  try {
    const c = await runBrokerCeiling({ brokers: ctx.brokers, topic, records, recordBytes: benchRecordBytes })
    const cpu = (c.producerRun.cpuS ?? 0) + (c.consumerRun.cpuS ?? 0)
    const wall = c.producerRun.wallS + c.consumerRun.wallS
    return {
      events: records,
      events_per_s: round(Math.min(c.producer.eventsPerS, c.consumerEventsPerS)),
      p50_ms: c.producer.p50Ms,
      p95_ms: c.producer.p95Ms,
      p99_ms: c.producer.p99Ms,
      max_ms: c.producer.maxMs,
      peak_rss_mb: round(Math.max(c.producerRun.peakRssMb ?? 0, c.consumerRun.peakRssMb ?? 0)),
      cpu_s: round(cpu, 2),
      cpu_pct: round((cpu / wall) * 100),
      cpu_us_per_event: round((cpu * 1e6) / records),
      seconds: round(wall, 2),
      notes:
        "Kafka's ProducerPerformance then ConsumerPerformance (JVM), acks=all, same record size; " +
        "events/s = the slower of the two; latencies = the producer's send→ack at full speed; RSS/CPU of the JVMs (incl. start-up)",
      extra: {
        producer_events_per_s: round(c.producer.eventsPerS),
        consumer_events_per_s: round(c.consumerEventsPerS),
        record_bytes: benchRecordBytes
      }
    }
  } finally {
    await deleteTopics(ctx.kafka, [topic])
  }
}
