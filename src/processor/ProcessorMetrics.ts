/**
 * The processor's Prometheus collectors, in a registry (the process's shared one by default,
 * so `/metrics` on the ops port shows them next to the ingress's). Counters move as events
 * are decided; gauges are read at scrape time from whichever processors are attached.
 *
 * Labels stay bounded: webhook ids and module types come from the loaded streams (an event
 * naming an unknown webhook counts only as a dead letter, by reason), connections from the
 * connections file; never event ids, keys or offsets.
 */
import { Counter, Gauge, type Registry } from "prom-client"
import type { DlqReason } from "../domain/DeadLetterRecord.ts"
import type { DeferralReason } from "../domain/DeferredRecord.ts"
import type { ChainOutcome } from "../domain/Outcome.ts"
import type { CircuitState } from "../engine/Guard.ts"
import { HotCounter, HotHistogram } from "../observability/hotMetrics.ts"
import { registry as processRegistry } from "../observability/metrics.ts"
import type { HandlerObserver } from "./HandlerContext.ts"

/** What a running processor exposes for the gauges (each part from whichever piece owns it). */
export interface GaugeSources {
  readonly inFlight?: () => number
  readonly assigned?: () => number
  readonly lag?: () => ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly lag: number }>
  /** the deferred path's lag (on the deferred topic): in the lag gauge, not in the console's input lag */
  readonly deferredLag?: () => ReadonlyArray<{
    readonly topic: string
    readonly partition: number
    readonly lag: number
  }>
  readonly circuits?: () => ReadonlyArray<{
    readonly module: string
    readonly connection: string
    readonly state: CircuitState
  }>
  readonly destinations?: () => ReadonlyArray<{
    readonly module: string
    readonly connection: string
    readonly inFlight: number
    readonly queued: number
  }>
  /** per destination (guard key → its labels): the deferral time of the oldest deferred work not
   * finished, and how many deferred records for it this process holds */
  readonly oldestDeferred?: () => ReadonlyArray<{
    readonly module: string
    readonly connection: string
    readonly deferredAt: number
    readonly held: number
  }>
}

export interface ProcessorMetrics extends HandlerObserver {
  readonly eventConsumed: () => void
  readonly offsetsCommitted: (commits: number) => void
  readonly commitFailed: () => void
  readonly publishFailed: () => void
  /** adds a processor's gauges; the returned function removes them (its scope closed) */
  readonly attach: (sources: GaugeSources) => () => void
}

/** 0 closed, 1 half-open (one probe let through), 2 open (refusing) */
export const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 }

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

const make = (registry: Registry): ProcessorMetrics => {
  const registers = [registry]
  const sources = new Set<GaugeSources>()
  // the per-event series (see hotMetrics.ts for why they are not prom-client's own)
  const consumed = new HotCounter(
    "hookstream_events_consumed_total",
    "Input records taken for processing (a redelivery after a restart or rebalance counts again)",
    [],
    registers
  ).labels()
  const chains = new HotCounter(
    "hookstream_chain_executions_total",
    "Chains run to their outcome, by stream and chain status (succeeded, partial, failed, timed_out; filtered: the stream's filter left the event out)",
    ["webhook_id", "status"],
    registers
  )
  const chainDuration = new HotHistogram(
    "hookstream_chain_duration_seconds",
    "Time from a chain's start to its outcome, by stream",
    ["webhook_id"],
    DURATION_BUCKETS,
    registers
  )
  const modules = new HotCounter(
    "hookstream_module_executions_total",
    "Module steps of finished chains, by module type and step status",
    ["module", "status"],
    registers
  )
  const moduleDuration = new HotHistogram(
    "hookstream_module_duration_seconds",
    "Time a step took, all attempts and backoff included, by module type (steps that never started excluded)",
    ["module"],
    DURATION_BUCKETS,
    registers
  )
  const retries = new Counter({
    name: "hookstream_module_retries_total",
    help: "Attempts beyond the first, by module type",
    labelNames: ["module"] as const,
    registers
  })
  const deadLetters = new Counter({
    name: "hookstream_dlq_records_total",
    help: "Dead-letter records produced, by reason (chain_failed, timed_out, invalid_event, unknown_webhook, payload_too_large, filter_failed, invalid_payload)",
    labelNames: ["reason"] as const,
    registers
  })
  const commits = new Counter({
    name: "hookstream_offset_commits_total",
    help: "Offset commits that went through (exactly-once: committed transactions)",
    registers
  })
  const commitFailures = new Counter({
    name: "hookstream_offset_commit_failures_total",
    help: "Offset commits (or transactions) that failed and will be retried on the next tick",
    registers
  })
  const publishFailures = new Counter({
    name: "hookstream_outcome_publish_failures_total",
    help: "Failed sends of result/DLQ records (retried until they succeed; offsets wait meanwhile)",
    registers
  })
  new Gauge({
    name: "hookstream_inflight_events",
    help: "Events taken and without a durable outcome yet",
    registers,
    collect() {
      let n = 0
      for (const s of sources) n += s.inFlight?.() ?? 0
      this.set(n)
    }
  })
  new Gauge({
    name: "hookstream_partitions_assigned",
    help: "Input partitions this process owns",
    registers,
    collect() {
      let n = 0
      for (const s of sources) n += s.assigned?.() ?? 0
      this.set(n)
    }
  })
  new Gauge({
    name: "hookstream_consumer_lag",
    help: "Records in an owned input partition beyond the committed offset (high watermark minus committed)",
    labelNames: ["topic", "partition"] as const,
    registers,
    collect() {
      this.reset()
      for (const s of sources)
        for (const l of [...(s.lag?.() ?? []), ...(s.deferredLag?.() ?? [])])
          this.set({ topic: l.topic, partition: String(l.partition) }, l.lag)
    }
  })
  new Gauge({
    name: "hookstream_circuit_state",
    help: "Circuit breaker per destination connection: 0 closed, 1 half-open, 2 open",
    labelNames: ["module", "connection"] as const,
    registers,
    collect() {
      this.reset()
      for (const s of sources)
        for (const c of s.circuits?.() ?? [])
          this.set({ module: c.module, connection: c.connection }, CIRCUIT_VALUE[c.state])
    }
  })
  new Gauge({
    name: "hookstream_destination_in_flight",
    help: "Sends holding one of a destination's max_in_flight slots",
    labelNames: ["module", "connection"] as const,
    registers,
    collect() {
      this.reset()
      for (const s of sources)
        for (const d of s.destinations?.() ?? []) this.set({ module: d.module, connection: d.connection }, d.inFlight)
    }
  })
  new Gauge({
    name: "hookstream_destination_queued",
    help: "Sends waiting for one of a destination's slots (at most max_queued; past that, work is deferred)",
    labelNames: ["module", "connection"] as const,
    registers,
    collect() {
      this.reset()
      for (const s of sources)
        for (const d of s.destinations?.() ?? []) this.set({ module: d.module, connection: d.connection }, d.queued)
    }
  })
  new Gauge({
    name: "hookstream_deferred_oldest_age_seconds",
    help: "Per destination: age of the oldest deferred work this process holds and has not finished (0: none)",
    labelNames: ["module", "connection"] as const,
    registers,
    collect() {
      this.reset()
      const now = Date.now()
      for (const s of sources)
        for (const d of s.oldestDeferred?.() ?? [])
          this.set({ module: d.module, connection: d.connection }, Math.max(0, (now - d.deferredAt) / 1_000))
    }
  })
  const deferrals = new Counter({
    name: "hookstream_deferred_total",
    help: "Events (or the rest of their chains) handed to the deferred path, by stream and reason (destination_congested, circuit_open, key_deferred)",
    labelNames: ["webhook_id", "reason"] as const,
    registers
  })

  return {
    eventConsumed: () => consumed.inc(),
    chainFinished: (webhookId: string, outcome: ChainOutcome) => {
      chains.labels(webhookId, outcome.status).inc()
      chainDuration.labels(webhookId).observe((outcome.finishedAt - outcome.startedAt) / 1_000)
      for (const m of outcome.modules) {
        modules.labels(m.module, m.status).inc()
        if (m.attempts > 0) moduleDuration.labels(m.module).observe(m.duration_ms / 1_000)
        if (m.attempts > 1) retries.inc({ module: m.module }, m.attempts - 1)
      }
    },
    deadLettered: (reason: DlqReason) => deadLetters.inc({ reason }),
    deferred: (webhookId: string, reason: DeferralReason) => deferrals.inc({ webhook_id: webhookId, reason }),
    offsetsCommitted: (n) => {
      if (n > 0) commits.inc(n)
    },
    commitFailed: () => commitFailures.inc(),
    publishFailed: () => publishFailures.inc(),
    attach: (s) => {
      sources.add(s)
      return () => {
        sources.delete(s)
      }
    }
  }
}

const byRegistry = new WeakMap<Registry, ProcessorMetrics>()

/** The processor collectors of `registry`, registered on first use (prom-client refuses a name twice). */
export const processorMetrics = (registry: Registry = processRegistry): ProcessorMetrics => {
  let metrics = byRegistry.get(registry)
  if (metrics === undefined) {
    metrics = make(registry)
    byRegistry.set(registry, metrics)
  }
  return metrics
}
