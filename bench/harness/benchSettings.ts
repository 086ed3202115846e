/** How big each scenario runs: the full run, and `--quick` (every scenario small, < 2 min in all). */

export const SCENARIOS = [
  "broker_ceiling",
  "raw_pipe",
  "raw_pipe_results",
  "raw_pipe_results_platformatic",
  "raw_pipe_results_lean",
  "noop_chain_seq",
  "noop_chain_seq_no_deferral",
  "noop_chain_seq_kafkajs",
  "noop_chain_seq_platformatic",
  "noop_chain_par",
  "naive_noop",
  "slow_sink_hookstream",
  "slow_sink_naive",
  "backlog_drain",
  "hot_key",
  "half_load_latency",
  "half_load_raw"
] as const
export type ScenarioName = (typeof SCENARIOS)[number]

export interface BenchSettings {
  readonly quick: boolean
  /** events (records for broker_ceiling) per pre-filled scenario */
  readonly events: Readonly<Record<Exclude<ScenarioName, "half_load_latency" | "half_load_raw">, number>>
  /** partitions of the input and outcome topics (the slow-sink scenarios use one) */
  readonly partitions: number
  /** distinct record keys */
  readonly keys: number
  readonly sinkDelayMs: number
  /** the paced producer runs this long per half-load scenario… */
  readonly halfLoadMs: number
  /** …and events produced in its first `halfLoadWarmupMs` are not counted (JIT, first fetches) */
  readonly halfLoadWarmupMs: number
  /** used when `noop_chain_seq` is not part of the run (`--only`) */
  readonly fallbackHalfLoadRate: number
}

export const benchSettings = (quick: boolean, events?: number): BenchSettings => {
  const base = sizes(quick)
  if (events === undefined) return base
  const all = Object.fromEntries(Object.keys(base.events).map((k) => [k, events])) as BenchSettings["events"]
  return { ...base, events: all }
}

const sizes = (quick: boolean): BenchSettings =>
  quick
    ? {
        quick,
        events: {
          broker_ceiling: 50_000,
          raw_pipe: 20_000,
          raw_pipe_results: 20_000,
          raw_pipe_results_platformatic: 20_000,
          raw_pipe_results_lean: 20_000,
          noop_chain_seq: 20_000,
          noop_chain_seq_no_deferral: 20_000,
          noop_chain_seq_kafkajs: 20_000,
          noop_chain_seq_platformatic: 20_000,
          noop_chain_par: 20_000,
          naive_noop: 2_000,
          slow_sink_hookstream: 4_000,
          slow_sink_naive: 100,
          backlog_drain: 40_000,
          hot_key: 5_000
        },
        partitions: 6,
        keys: 10_000,
        sinkDelayMs: 20,
        halfLoadMs: 5_000,
        halfLoadWarmupMs: 1_000,
        fallbackHalfLoadRate: 2_000
      }
    : {
        quick,
        events: {
          broker_ceiling: 1_000_000,
          raw_pipe: 300_000,
          raw_pipe_results: 300_000,
          raw_pipe_results_platformatic: 300_000,
          raw_pipe_results_lean: 300_000,
          noop_chain_seq: 300_000,
          noop_chain_seq_no_deferral: 300_000,
          noop_chain_seq_kafkajs: 300_000,
          noop_chain_seq_platformatic: 300_000,
          noop_chain_par: 300_000,
          naive_noop: 30_000,
          slow_sink_hookstream: 60_000,
          slow_sink_naive: 1_500,
          backlog_drain: 1_000_000,
          hot_key: 30_000
        },
        partitions: 6,
        keys: 10_000,
        sinkDelayMs: 20,
        halfLoadMs: 60_000,
        halfLoadWarmupMs: 5_000,
        fallbackHalfLoadRate: 5_000
      }
