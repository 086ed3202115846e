/**
 * The shape of reports/bench.json, and the targets: every target is a ratio (or a limit)
 * between numbers measured in the same run, because absolute numbers on a shared machine
 * mean little.
 */
import { DEFAULT_PRODUCER_CLIENT } from "../../src/kafka/producer/ProducerDriver.ts"
import type { CurvePoint } from "../curves.ts"
import type { ScenarioName } from "./benchSettings.ts"

export interface ScenarioResult {
  /** events that reached an outcome (records, for broker_ceiling) */
  readonly events: number
  readonly events_per_s: number
  /** end-to-end, produce → outcome appended (broker_ceiling: the producer's send → ack) */
  readonly p50_ms: number
  readonly p95_ms: number
  readonly p99_ms: number
  readonly max_ms: number
  /** peak RSS of the measured process (broker_ceiling: the larger of the two tools) */
  readonly peak_rss_mb: number
  /** user + system CPU seconds of the measured process over the measured window */
  readonly cpu_s: number
  /** cpu_s over the window's wall time, in % of one core */
  readonly cpu_pct: number
  /** cpu_s per event: the cost of one event, steadier than events/s on a noisy machine */
  readonly cpu_us_per_event: number
  /** the measured window: consumer ready → last outcome (paced: first → last event) */
  readonly seconds: number
  readonly notes?: string
  readonly extra?: Readonly<Record<string, number | string>>
}

export interface RatioResult {
  readonly value: number
  /** `>= 0.7`, `<= 1`… (for p99_half_load_vs_raw: value is hookstream p99 / limit) */
  readonly target: string
  readonly met: boolean
  readonly detail: string
}

export interface BenchReport {
  readonly generated_at: string
  readonly quick: boolean
  readonly command: string
  readonly machine: {
    readonly cpus: number
    readonly node: string
    readonly kafka: string
    readonly broker: string
  }
  readonly wall_s: number
  readonly scenarios: Partial<Record<ScenarioName, ScenarioResult>>
  readonly ratios: {
    /** noop_chain_seq / the raw pipe writing hookstream's results on the same (default) producer client */
    readonly noop_vs_raw_results?: RatioResult
    readonly slow_sink_vs_naive?: RatioResult
    readonly p99_half_load_vs_raw?: RatioResult
    /** noop_chain_seq_platformatic / noop_chain_seq_kafkajs: the producer client's gain on hookstream's work */
    readonly platformatic_vs_kafkajs?: RatioResult
  }
  readonly limits: {
    readonly backlog_peak_rss_mb?: RatioResult
    readonly noop_cpu_us_per_event?: RatioResult
  }
  /** the processor's own cost against chain length and payload size (bench/curves.ts) */
  readonly curves?: ReadonlyArray<CurvePoint>
  /** ratios without a target that say where a gap comes from */
  readonly diagnostics: {
    /** raw_pipe_results / raw_pipe: what writing hookstream-shaped results costs the client */
    readonly raw_results_vs_raw?: Diagnostic
    /** noop_chain_seq / raw_pipe: against a pipe writing small records (no longer a target: the result
     * record alone runs at about half of that on every client) */
    readonly noop_vs_raw?: Diagnostic
    /** noop_chain_seq / noop_chain_seq_no_deferral: what the isolation machinery costs */
    readonly isolation_cost?: Diagnostic
    /** raw_pipe_results / raw_pipe_results_lean: what the result records' six headers (vs one) cost the client */
    readonly result_headers_cost?: Diagnostic
    /** raw_pipe_results_platformatic / raw_pipe_results: the clients' ceilings for hookstream's output */
    readonly raw_results_platformatic_vs_kafkajs?: Diagnostic
    /** noop_chain_seq_kafkajs / raw_pipe_results: hookstream against the ceiling, both writing with KafkaJS */
    readonly noop_vs_raw_results_kafkajs?: Diagnostic
    /** noop_chain_seq_platformatic / raw_pipe_results_platformatic: the same with platformatic */
    readonly noop_vs_raw_results_platformatic?: Diagnostic
  }
  /** scenarios that could not run, with the reason */
  readonly errors: Partial<Record<ScenarioName, string>>
}

export interface Diagnostic {
  readonly value: number
  readonly detail: string
}

const fixed = (n: number, digits = 2) => Number(n.toFixed(digits))

export const computeDiagnostics = (s: BenchReport["scenarios"]): BenchReport["diagnostics"] => {
  const out: { -readonly [K in keyof BenchReport["diagnostics"]]: BenchReport["diagnostics"][K] } = {}
  const eps = (name: keyof BenchReport["scenarios"]) => Math.round(s[name]?.events_per_s ?? 0)
  if (s.raw_pipe_results !== undefined && s.raw_pipe !== undefined) {
    out.raw_results_vs_raw = {
      value: fixed(s.raw_pipe_results.events_per_s / s.raw_pipe.events_per_s, 3),
      detail: `raw_pipe_results ${eps("raw_pipe_results")} / raw_pipe ${eps("raw_pipe")} events/s`
    }
  }
  if (s.noop_chain_seq !== undefined && s.raw_pipe !== undefined) {
    out.noop_vs_raw = {
      value: fixed(s.noop_chain_seq.events_per_s / s.raw_pipe.events_per_s, 3),
      detail: `noop_chain_seq ${eps("noop_chain_seq")} / raw_pipe ${eps("raw_pipe")} events/s`
    }
  }
  const ratio = (over: ScenarioName, under: ScenarioName): Diagnostic | undefined => {
    const a = s[over]
    const b = s[under]
    if (a === undefined || b === undefined) return undefined
    return {
      value: fixed(a.events_per_s / b.events_per_s, 3),
      detail: `CPU ${a.cpu_us_per_event} / ${b.cpu_us_per_event} µs/event; ${over} ${eps(over)} / ${under} ${eps(under)} events/s`
    }
  }
  const more: Partial<Record<keyof BenchReport["diagnostics"], Diagnostic | undefined>> = {
    result_headers_cost: ratio("raw_pipe_results", "raw_pipe_results_lean"),
    raw_results_platformatic_vs_kafkajs: ratio("raw_pipe_results_platformatic", "raw_pipe_results"),
    noop_vs_raw_results_kafkajs: ratio("noop_chain_seq_kafkajs", "raw_pipe_results"),
    noop_vs_raw_results_platformatic: ratio("noop_chain_seq_platformatic", "raw_pipe_results_platformatic"),
    isolation_cost: ratio("noop_chain_seq", "noop_chain_seq_no_deferral")
  }
  for (const [name, value] of Object.entries(more) as Array<[keyof BenchReport["diagnostics"], Diagnostic | undefined]>)
    if (value !== undefined) out[name] = value
  return out
}

export const computeRatios = (
  s: BenchReport["scenarios"]
): { ratios: BenchReport["ratios"]; limits: BenchReport["limits"] } => {
  const ratios: { -readonly [K in keyof BenchReport["ratios"]]: BenchReport["ratios"][K] } = {}
  const limits: { -readonly [K in keyof BenchReport["limits"]]: BenchReport["limits"][K] } = {}
  // hookstream against the ceiling of its own output on the same (default) producer client
  const ceiling = DEFAULT_PRODUCER_CLIENT === "platformatic" ? s.raw_pipe_results_platformatic : s.raw_pipe_results
  if (s.noop_chain_seq !== undefined && ceiling !== undefined) {
    const value = s.noop_chain_seq.events_per_s / ceiling.events_per_s
    ratios.noop_vs_raw_results = {
      value: fixed(value, 3),
      target: ">= 0.7",
      met: value >= 0.7,
      detail: `noop_chain_seq ${Math.round(s.noop_chain_seq.events_per_s)} / raw_pipe_results (${DEFAULT_PRODUCER_CLIENT}) ${Math.round(ceiling.events_per_s)} events/s`
    }
  }
  if (s.noop_chain_seq !== undefined) {
    const cpu = s.noop_chain_seq.cpu_us_per_event
    limits.noop_cpu_us_per_event = {
      value: fixed(cpu, 1),
      target: "<= 35",
      met: cpu <= 35,
      detail: `noop_chain_seq: ${fixed(cpu, 1)} µs of CPU per event (the default producer, the deferred path on)`
    }
  }
  if (s.noop_chain_seq_platformatic !== undefined && s.noop_chain_seq_kafkajs !== undefined) {
    const [p, k] = [s.noop_chain_seq_platformatic, s.noop_chain_seq_kafkajs]
    const value = p.events_per_s / k.events_per_s
    ratios.platformatic_vs_kafkajs = {
      value: fixed(value, 3),
      target: ">= 1.25",
      met: value >= 1.25,
      detail: `CPU ${p.cpu_us_per_event} / ${k.cpu_us_per_event} µs/event; noop_chain_seq_platformatic ${Math.round(p.events_per_s)} / noop_chain_seq_kafkajs ${Math.round(k.events_per_s)} events/s`
    }
  }
  if (s.slow_sink_hookstream !== undefined && s.slow_sink_naive !== undefined) {
    const value = s.slow_sink_hookstream.events_per_s / s.slow_sink_naive.events_per_s
    ratios.slow_sink_vs_naive = {
      value: fixed(value, 1),
      target: ">= 100",
      met: value >= 100,
      detail: `slow_sink_hookstream ${Math.round(s.slow_sink_hookstream.events_per_s)} / slow_sink_naive ${fixed(s.slow_sink_naive.events_per_s, 1)} events/s`
    }
  }
  if (s.half_load_latency !== undefined && s.half_load_raw !== undefined) {
    const limit = 2 * s.half_load_raw.p99_ms + 10
    const value = s.half_load_latency.p99_ms / limit
    ratios.p99_half_load_vs_raw = {
      value: fixed(value, 3),
      target: "<= 1 (hookstream p99 <= 2 x raw p99 + 10 ms)",
      met: s.half_load_latency.p99_ms <= limit,
      detail: `hookstream p99 ${fixed(s.half_load_latency.p99_ms, 1)} ms vs limit ${fixed(limit, 1)} ms (raw p99 ${fixed(s.half_load_raw.p99_ms, 1)} ms)`
    }
  }
  if (s.backlog_drain !== undefined) {
    const rss = s.backlog_drain.peak_rss_mb
    limits.backlog_peak_rss_mb = {
      value: fixed(rss, 1),
      target: "<= 200",
      met: rss <= 200,
      detail: `peak RSS ${Math.round(rss)} MB draining ${s.backlog_drain.events} events`
    }
  }
  return { ratios, limits }
}
