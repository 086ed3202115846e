import type { LoadSize } from "./clusterRun.ts"

/**
 * Scenario sizes: the full run (`npm run chaos`, the figures) and the CI subset
 * (`npm run chaos -- --quick` and test/integration/chaos.test.ts: the same checks on small
 * counts and short outages, a few minutes in all).
 */
export interface Sizes {
  readonly kill9: { readonly events: number; readonly kills: number }
  readonly broker_restart: { readonly events: number; readonly outageMs: number }
  readonly hung_sink: { readonly events: number; readonly deadlineMs: number }
  readonly fail_fast: { readonly events: number; readonly slowMs: number }
  readonly sink_outage: {
    readonly outageMs: number
    readonly ratePerS: number
    readonly beforeMs: number
    readonly afterMs: number
    readonly cooldownMs: number
  }
  readonly overload: {
    readonly sinkDelayMs: number
    readonly sinkConcurrency: number
    readonly calibrationEvents: number
    readonly factor: number
    readonly durationMs: number
    readonly rssBoundMb: number
    readonly ingressClients: number
    readonly ingressMaxInFlight: number
  }
  readonly poison: { readonly bad: number; readonly good: number }
  readonly secrets: { readonly events: number }
  readonly noisy_neighbour: {
    readonly bRatePerS: number
    readonly aRatePerS: number
    readonly phaseMs: number
    /** A's sink answers after this in the slow phase */
    readonly slowMs: number
    /** A's attempt timeout (its sink hangs in the third phase) */
    readonly hangTimeoutMs: number
    /** A's circuit cool-down */
    readonly cooldownMs: number
    /** how long A may take to drain once its sink is back */
    readonly drainTimeoutMs: number
  }
  readonly broker_failover: LoadSize & { readonly downMs: number }
  readonly rolling_restart: LoadSize & { readonly betweenMs: number }
  readonly scale_out: LoadSize & { readonly phaseMs: number }
  readonly ingress_failover: {
    readonly clients: number
    readonly warmupMs: number
    readonly downMs: number
    readonly tailMs: number
    readonly produceTimeout: string
  }
}

export const FULL: Sizes = {
  kill9: { events: 100_000, kills: 10 },
  broker_restart: { events: 20_000, outageMs: 20_000 },
  hung_sink: { events: 200, deadlineMs: 5_000 },
  fail_fast: { events: 50, slowMs: 30_000 },
  sink_outage: { outageMs: 60_000, ratePerS: 50, beforeMs: 10_000, afterMs: 40_000, cooldownMs: 10_000 },
  overload: {
    sinkDelayMs: 20,
    sinkConcurrency: 8,
    calibrationEvents: 6_000,
    factor: 10,
    durationMs: 120_000,
    rssBoundMb: 512,
    ingressClients: 256,
    ingressMaxInFlight: 64
  },
  poison: { bad: 10_000, good: 10_000 },
  secrets: { events: 200 },
  noisy_neighbour: {
    bRatePerS: 500,
    aRatePerS: 150,
    phaseMs: 40_000,
    slowMs: 5_000,
    hangTimeoutMs: 10_000,
    cooldownMs: 30_000,
    drainTimeoutMs: 600_000
  },
  // rates well under what one processor does on a 2-core machine next to three brokers (the
  // exactly-once one lower: ~110 events/s there), so "full throughput" is the offered rate
  broker_failover: { ratePerS: 300, keys: 97, warmupMs: 15_000, tailMs: 20_000, downMs: 30_000 },
  rolling_restart: { ratePerS: 100, keys: 97, warmupMs: 15_000, tailMs: 15_000, betweenMs: 5_000 },
  scale_out: { ratePerS: 300, keys: 97, warmupMs: 15_000, tailMs: 20_000, phaseMs: 20_000 },
  ingress_failover: { clients: 16, warmupMs: 15_000, downMs: 30_000, tailMs: 15_000, produceTimeout: "5s" }
}

export const QUICK: Sizes = {
  kill9: { events: 3_000, kills: 2 },
  broker_restart: { events: 2_000, outageMs: 5_000 },
  hung_sink: { events: 20, deadlineMs: 2_000 },
  fail_fast: { events: 10, slowMs: 10_000 },
  sink_outage: { outageMs: 6_000, ratePerS: 25, beforeMs: 1_500, afterMs: 5_000, cooldownMs: 2_000 },
  overload: {
    sinkDelayMs: 20,
    sinkConcurrency: 8,
    calibrationEvents: 1_000,
    factor: 4,
    durationMs: 5_000,
    rssBoundMb: 512,
    ingressClients: 64,
    ingressMaxInFlight: 16
  },
  poison: { bad: 300, good: 300 },
  secrets: { events: 20 },
  noisy_neighbour: {
    bRatePerS: 200,
    aRatePerS: 60,
    phaseMs: 8_000,
    slowMs: 2_000,
    hangTimeoutMs: 3_000,
    cooldownMs: 3_000,
    drainTimeoutMs: 120_000
  },
  broker_failover: { ratePerS: 200, keys: 31, warmupMs: 6_000, tailMs: 6_000, downMs: 14_000 },
  rolling_restart: { ratePerS: 80, keys: 31, warmupMs: 6_000, tailMs: 5_000, betweenMs: 1_000 },
  scale_out: { ratePerS: 200, keys: 31, warmupMs: 6_000, tailMs: 6_000, phaseMs: 8_000 },
  ingress_failover: { clients: 8, warmupMs: 6_000, downMs: 14_000, tailMs: 5_000, produceTimeout: "5s" }
}
