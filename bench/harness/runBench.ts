/**
 * The benchmark harness: a bench-profile broker (or KAFKA_BROKERS), then every scenario one
 * after another, then the ratios against their targets. Returns the report; writing it is
 * writeReport's job.
 */
import { spawnSync } from "node:child_process"
import { availableParallelism } from "node:os"
import { join } from "node:path"
import { logLevel } from "kafkajs"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import { KAFKA_VERSION } from "../../src/kafka/local/KafkaVersion.ts"
import { startLocalKafka } from "../../src/kafka/local/startLocalKafka.ts"
import type { ProducerClient } from "../../src/kafka/producer/ProducerDriver.ts"
import type { CurvePoint } from "../curves.ts"
import { type BenchReport, computeDiagnostics, computeRatios, type ScenarioResult } from "./benchReport.ts"
import { benchSettings, SCENARIOS, type ScenarioName } from "./benchSettings.ts"
import { type PipeSpec, runBrokerCeilingScenario, runPipeScenario, type ScenarioContext } from "./scenarioRunners.ts"
import { startSlowSink } from "./startSlowSink.ts"

export interface BenchOptions {
  readonly quick: boolean
  /** run only these scenarios (half_load_* use a fallback rate without noop_chain_seq) */
  readonly only?: ReadonlyArray<ScenarioName>
  /** bootstrap servers to use instead of starting a broker; default $KAFKA_BROKERS */
  readonly brokers?: string
  readonly verbose?: boolean
  /** overrides the event count of every pre-filled scenario */
  readonly events?: number
  /** Node flags for every consumer process, e.g. ["--cpu-prof", "--cpu-prof-dir=reports/profiles"] */
  readonly childExecArgv?: ReadonlyArray<string>
  readonly command?: string
  readonly log?: (line: string) => void
  /** measure the cost curves even with `only` (they run by default in a full run) */
  readonly curves?: boolean
}

export const runBench = async (options: BenchOptions): Promise<BenchReport> => {
  const started = Date.now()
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const settings = benchSettings(options.quick, options.events)
  const selected = new Set<ScenarioName>(options.only ?? SCENARIOS)
  const broker = await startLocalKafka({ profile: "bench", brokers: options.brokers })
  log(
    broker.external
      ? `using the cluster at ${broker.brokers}`
      : `bench-profile broker at ${broker.brokers} (ready in ${broker.startedInMs} ms)`
  )
  const scenarios: Partial<Record<ScenarioName, ScenarioResult>> = {}
  const errors: Partial<Record<ScenarioName, string>> = {}
  try {
    const kafka = makeKafka({ brokers: broker.brokers.split(","), clientId: "bench-harness", logLevel: logLevel.ERROR })
    const ctx: ScenarioContext = {
      kafka,
      brokers: broker.brokers,
      runId: `bench-${Date.now().toString(36)}`,
      settings,
      verbose: options.verbose ?? false,
      childExecArgv: options.childExecArgv ?? [],
      log
    }
    const sink = await startSlowSink(settings.sinkDelayMs)
    const { events, partitions } = settings
    /** the raw pipe (KafkaJS consumer) on pre-filled events, writing `records` with `producerClient` */
    const rawPipe = (
      name: "raw_pipe" | "raw_pipe_results" | "raw_pipe_results_platformatic" | "raw_pipe_results_lean",
      records: PipeSpec["records"],
      producerClient: ProducerClient = "kafkajs"
    ) =>
      [
        name,
        () =>
          runPipeScenario(
            ctx,
            { name, kind: "rawPipe", chain: "noop", partitions, records, producerClient },
            { type: "prefill", events: events[name] }
          )
      ] as const
    /** the no-op chain, sequential, on pre-filled events; `producerClient` absent: hookstream's default */
    const noopChain = (
      name: "noop_chain_seq" | "noop_chain_seq_no_deferral" | "noop_chain_seq_kafkajs" | "noop_chain_seq_platformatic",
      producerClient?: ProducerClient,
      deferral?: boolean
    ) =>
      [
        name,
        () =>
          runPipeScenario(
            ctx,
            {
              name,
              kind: "hookstreamConsumer",
              chain: "noop",
              execution: "sequential",
              partitions,
              ...(producerClient === undefined ? {} : { producerClient }),
              ...(deferral === undefined ? {} : { deferral })
            },
            { type: "prefill", events: events[name] }
          )
      ] as const
    const plan: ReadonlyArray<readonly [ScenarioName, () => Promise<ScenarioResult>]> = [
      ["broker_ceiling", () => runBrokerCeilingScenario(ctx, events.broker_ceiling)],
      rawPipe("raw_pipe", "small"),
      rawPipe("raw_pipe_results", "results"),
      rawPipe("raw_pipe_results_platformatic", "results", "platformatic"),
      rawPipe("raw_pipe_results_lean", "results_lean"),
      noopChain("noop_chain_seq"),
      // what the isolation machinery (deferral) costs per event: the same chain without it
      noopChain("noop_chain_seq_no_deferral", undefined, false),
      // one flag apart, back to back so the machine's load is as alike as it gets
      noopChain("noop_chain_seq_kafkajs", "kafkajs"),
      noopChain("noop_chain_seq_platformatic", "platformatic"),
      [
        "noop_chain_par",
        () =>
          runPipeScenario(
            ctx,
            { name: "noop_chain_par", kind: "hookstreamConsumer", chain: "noop", execution: "parallel", partitions },
            { type: "prefill", events: events.noop_chain_par }
          )
      ],
      [
        "naive_noop",
        () =>
          runPipeScenario(
            ctx,
            { name: "naive_noop", kind: "naiveConsumer", chain: "noop", partitions },
            { type: "prefill", events: events.naive_noop }
          )
      ],
      [
        "slow_sink_hookstream",
        () =>
          runPipeScenario(
            ctx,
            {
              name: "slow_sink_hookstream",
              kind: "hookstreamConsumer",
              chain: "http",
              partitions: 1,
              sinkUrl: sink.url
            },
            { type: "prefill", events: events.slow_sink_hookstream }
          )
      ],
      [
        "slow_sink_naive",
        () =>
          runPipeScenario(
            ctx,
            { name: "slow_sink_naive", kind: "naiveConsumer", chain: "http", partitions: 1, sinkUrl: sink.url },
            { type: "prefill", events: events.slow_sink_naive }
          )
      ],
      [
        "backlog_drain",
        () =>
          runPipeScenario(
            ctx,
            { name: "backlog_drain", kind: "hookstreamConsumer", chain: "noop", execution: "sequential", partitions },
            { type: "prefill", events: events.backlog_drain }
          )
      ],
      [
        "hot_key",
        () =>
          runPipeScenario(
            ctx,
            {
              name: "hot_key",
              kind: "hookstreamConsumer",
              chain: "noop",
              execution: "sequential",
              partitions,
              keys: 1
            },
            { type: "prefill", events: events.hot_key }
          )
      ],
      [
        "half_load_latency",
        () =>
          runPipeScenario(
            ctx,
            {
              name: "half_load_latency",
              kind: "hookstreamConsumer",
              chain: "noop",
              execution: "sequential",
              partitions
            },
            halfLoad()
          )
      ],
      [
        "half_load_raw",
        () => runPipeScenario(ctx, { name: "half_load_raw", kind: "rawPipe", chain: "noop", partitions }, halfLoad())
      ]
    ]
    const halfLoad = () => {
      const max = scenarios.noop_chain_seq?.events_per_s
      return {
        type: "paced" as const,
        ratePerS: max === undefined ? settings.fallbackHalfLoadRate : Math.max(100, Math.round(max / 2)),
        durationMs: settings.halfLoadMs,
        warmupMs: settings.halfLoadWarmupMs
      }
    }
    try {
      for (const [name, run] of plan) {
        if (!selected.has(name)) continue
        const t0 = Date.now()
        log(`${name}…`)
        try {
          const result = await run()
          scenarios[name] = result
          log(
            `  ${name}: ${Math.round(result.events_per_s)} events/s, p50/p95/p99 ${result.p50_ms}/${result.p95_ms}/${result.p99_ms} ms, ` +
              `peak RSS ${Math.round(result.peak_rss_mb)} MB, CPU ${result.cpu_pct}% = ${result.cpu_us_per_event} µs/event (${((Date.now() - t0) / 1_000).toFixed(1)} s)`
          )
        } catch (error) {
          errors[name] = error instanceof Error ? error.message : String(error)
          log(`  ${name} FAILED: ${errors[name]}`)
        }
      }
    } finally {
      await sink.close()
    }
  } finally {
    await broker.stop()
  }
  // with the broker gone: the processor's own cost curves (no Kafka), in a child of their own
  const curves =
    options.only === undefined || options.curves === true ? await measureCurvesInChild(log, options.quick) : undefined
  const { ratios, limits } = computeRatios(scenarios)
  return {
    generated_at: new Date().toISOString(),
    quick: options.quick,
    command: options.command ?? (options.quick ? "npm run bench -- --quick" : "npm run bench"),
    machine: {
      cpus: availableParallelism(),
      node: process.version,
      kafka: KAFKA_VERSION,
      broker: broker.external ? "external (KAFKA_BROKERS)" : "local single node, bench JVM profile"
    },
    wall_s: Math.round((Date.now() - started) / 1_000),
    scenarios,
    ratios,
    limits,
    diagnostics: computeDiagnostics(scenarios),
    ...(curves === undefined ? {} : { curves }),
    errors
  }
}

const measureCurvesInChild = async (
  log: (line: string) => void,
  quick: boolean
): Promise<ReadonlyArray<CurvePoint> | undefined> => {
  log("curves (the processor's cost against chain length and payload size, no Kafka)…")
  const script = join(import.meta.dirname, "..", "curves.ts")
  const args = ["--expose-gc", script, "--json", ...(quick ? ["--quick"] : [])]
  const child = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 600_000 })
  const line = child.stdout?.trim().split("\n").at(-1)
  if (child.status !== 0 || line === undefined) {
    log(`  curves FAILED: ${child.stderr?.trim().split("\n").at(-1) ?? `exit ${child.status}`}`)
    return undefined
  }
  return JSON.parse(line) as ReadonlyArray<CurvePoint>
}
