/**
 * The processor scenarios on the three-node cluster (broker_failover, rolling_restart,
 * scale_out) share one shape: a steady load written to the input topic at a fixed rate (one
 * producer, so each key's events reach the topic in order), real `hookstream run` instances
 * delivering each event to an HTTP sink that checks per-key order (orderSink.ts), and a
 * scenario-specific `drive` that deals the faults while the load runs. The load goes on for
 * `tailMs` after the drive ends, then everything is read back. The events are those on the
 * input topic (read_committed), whatever the load's producer believed; per event:
 *
 * - lost: no result or dead-letter record (read_committed), or never at the sink; must be 0;
 * - duplicates: outcome records beyond one per copy of the event on the input topic; 0 with
 *   --exactly-once, else reported and bounded by what was in flight or uncommitted at the faults;
 * - order violations at the sink, against the input topic's order: must be 0;
 * - per fault, the time until the sink receives at least 80 % of the pre-fault rate again.
 */
import { Effect } from "effect"
import { type Kafka, logLevel } from "kafkajs"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import { readCommitted } from "../../src/kafka/TopicReader.ts"
import { waitFor } from "../../test/support/waitFor.ts"
import { awaitTopicsOnEveryNode, copyTopicSegments } from "./cluster.ts"
import { waitForGroupCommitted } from "./kafkaState.ts"
import { startOrderSink } from "./orderSink.ts"
import { type OutcomeCollector, startOutcomeCollector, tally } from "./outcomes.ts"
import { type HookstreamProcess, startProcessor } from "./processes.ts"
import { eventMessage, produceSteadily, type SteadyLoad } from "./produce.ts"
import { type Fault, recoveries, reportRecoveries } from "./throughput.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "./types.ts"
import { makeWorkspace, type Workspace } from "./workspace.ts"

export interface LoadSize {
  /** events per second written to the input topic */
  readonly ratePerS: number
  readonly keys: number
  /** load before the first fault (its last seconds are the baseline) */
  readonly warmupMs: number
  /** load after the drive's last fault */
  readonly tailMs: number
}

export interface ClusterRun {
  readonly ctx: ChaosContext
  readonly ws: Workspace
  readonly checks: Checks
  readonly figures: Record<string, number | string | boolean>
  /** records a fault at this moment (call it just before dealing it) */
  readonly fault: (name: string) => void
  /** a new `hookstream run` instance (its own instance id) in the scenario's group */
  readonly startInstance: () => HookstreamProcess
  /** instances started and not killed by the scenario */
  readonly instances: () => ReadonlyArray<HookstreamProcess>
  /** stops an instance (SIGKILL: a crash; SIGTERM: a scale-in, which must exit 0) */
  readonly stopInstance: (instance: HookstreamProcess, signal: "SIGKILL" | "SIGTERM") => Promise<void>
  readonly sleep: (ms: number) => Promise<void>
}

export interface ClusterScenario {
  readonly name: string
  readonly exactlyOnce: boolean
  readonly size: LoadSize
  /** deals the faults; runs after the warm-up, while the load goes on */
  readonly drive: (run: ClusterRun) => Promise<void>
  readonly notes: (run: ClusterRun) => string
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const MAX_IN_FLIGHT = 1_024

/** a quiet client on some of the cluster's nodes */
export const nodeClient = (brokers: ReadonlyArray<string>): Kafka =>
  makeKafka({ brokers, clientId: "chaos-node-probe", logLevel: logLevel.NOTHING, retry: { retries: 0 } })

interface InputEvents {
  /** distinct event ids on the topic, in offset order per partition */
  readonly ids: ReadonlyArray<string>
  /** copies of each id on the topic */
  readonly copies: ReadonlyMap<string, number>
  /** key → ids in offset order (first copy of each) */
  readonly order: ReadonlyMap<string, ReadonlyArray<string>>
}

/** What a read_committed consumer sees on the input topic. */
const readInput = async (kafka: Kafka, topic: string): Promise<InputEvents> => {
  const records = await Effect.runPromise(readCommitted(kafka, topic))
  const ids: Array<string> = []
  const copies = new Map<string, number>()
  const order = new Map<string, Array<string>>()
  for (const r of records) {
    const { id } = JSON.parse(r.value?.toString("utf8") ?? "{}") as { id: string }
    const seen = copies.get(id) ?? 0
    copies.set(id, seen + 1)
    if (seen > 0) continue
    ids.push(id)
    const key = r.key?.toString("utf8") ?? ""
    const list = order.get(key) ?? []
    list.push(id)
    order.set(key, list)
  }
  return { ids, copies, order }
}

/** Outcome records beyond one per copy of the event on the input topic, and where they are. */
const duplicatesOver = (collector: OutcomeCollector, input: InputEvents) => {
  let extra = 0
  const where: Array<number> = []
  for (const [i, id] of input.ids.entries()) {
    const o = collector.events.get(id)
    if (o === undefined) continue
    const n = Math.max(0, Math.max(o.results[0] ?? 0, o.dlq[0] ?? 0) - (input.copies.get(id) ?? 1))
    extra += n
    if (n > 0) where.push(i)
  }
  // which stretch of the input they belong to: a burst at a fault, or spread over the run
  const span = where.length === 0 ? "" : `events #${where[0]}…#${where.at(-1)} of ${input.ids.length}`
  return { extra, span, sample: where.slice(0, 5).map((i) => input.ids[i] ?? "") }
}

/** Figures of the load's producer against what reached the topic (KafkaJS's failover findings). */
const loadFigures = (load: SteadyLoad, input: InputEvents, idOf: (i: number) => string) => {
  let ackedNotOnTopic = 0
  for (const [from, to] of load.acked) for (let i = from; i < to; i++) if (!input.copies.has(idOf(i))) ackedNotOnTopic++
  let repeated = 0
  for (const n of input.copies.values()) repeated += n - 1
  return {
    load_built: load.built,
    load_send_retries: load.retries,
    input_events: input.ids.length,
    input_acked_not_on_topic: ackedNotOnTopic,
    input_repeated_records: repeated
  }
}

export const runClusterScenario = async (ctx: ChaosContext, scenario: ClusterScenario): Promise<ScenarioResult> => {
  const started = Date.now()
  const { name, size } = scenario
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const sink = await startOrderSink()
  const ws = await makeWorkspace(ctx, name, {
    partitions: 6,
    connections: { sink: { type: "http", max_in_flight: 512 } },
    streams: {
      ordered: {
        id: "ordered",
        timeout: "60s",
        chain: [
          { module: "http", id: "deliver", connection: "sink", config: { url: sink.url, allowed_hosts: ["127.0.0.1"] } }
        ]
      }
    }
  })
  if (ctx.cluster !== undefined)
    await awaitTopicsOnEveryNode(ctx.cluster.nodes, nodeClient, Object.values(ws.topics), 60_000)
  // where each event's outcome records are: a duplicate's positions tell a re-run from a repeated write
  const positions = new Map<string, Array<string>>()
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics, {
    onRecord: (r) => {
      const list = positions.get(r.key) ?? []
      list.push(`${r.kind}@${r.partition}:${r.offset}`)
      positions.set(r.key, list)
    }
  })
  const all: Array<HookstreamProcess> = []
  const stopped = new Set<HookstreamProcess>()
  const faults: Array<Fault> = []
  let instanceCount = 0
  const startInstance = () => {
    instanceCount++
    const p = startProcessor(ws, {
      brokers: ctx.brokers,
      label: `${name}#${instanceCount}`,
      instanceId: `${name}-${instanceCount}`,
      exactlyOnce: scenario.exactlyOnce,
      sessionTimeout: "6s",
      maxInFlight: MAX_IN_FLIGHT,
      verbose: ctx.verbose,
      ...(process.env["CHAOS_LOG_LEVEL"] === undefined ? {} : { env: { LOG_LEVEL: process.env["CHAOS_LOG_LEVEL"] } })
    })
    all.push(p)
    return p
  }
  const run: ClusterRun = {
    ctx,
    ws,
    checks,
    figures,
    fault: (what) => {
      faults.push({ name: what, at: performance.now() })
      ctx.log(`  ${what} (${sink.unique()} events delivered so far)`)
    },
    startInstance,
    instances: () => all.filter((p) => !stopped.has(p)),
    stopInstance: async (instance, signal) => {
      stopped.add(instance)
      const exit = await instance.kill(signal)
      if (signal === "SIGTERM")
        checks.add(`${instance.label} stops cleanly on SIGTERM (scale-in)`, exit.code === 0, JSON.stringify(exit))
    },
    sleep
  }

  let producing = true
  const idOf = (i: number) => `${name}-${i}`
  try {
    const first = startInstance()
    await first.ready({ partitions: true })
    const load = produceSteadily(
      ctx.kafka,
      ws.topics.input,
      (i) => {
        const key = `k${i % size.keys}`
        return eventMessage({ webhookId: "ordered", id: idOf(i), payload: { id: idOf(i), key } }, key)
      },
      { ratePerS: size.ratePerS, stop: () => !producing }
    )
    // awaited below; this only keeps a failure on an early exit from going unhandled
    load.catch(() => undefined)
    await sleep(size.warmupMs)
    await scenario.drive(run)
    await sleep(size.tailMs)
    producing = false
    const loaded = await load
    const input = await readInput(ctx.kafka, ws.topics.input)
    const ids = input.ids
    Object.assign(figures, loadFigures(loaded, input, idOf))
    ctx.log(`  ${ids.length} events on the input topic (${size.ratePerS}/s); waiting for every outcome`)

    // done = the group committed the whole input and the reader caught up; an event without an
    // outcome by then is lost for good. A processor that never gets there fails a check.
    const settleMs = ctx.quick ? 90_000 : 300_000
    const settled = async (what: string, wait: () => Promise<void>) => {
      const failure = await wait().then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e.message : String(e))
      )
      checks.add(what, failure === undefined, failure ?? "yes")
    }
    await settled("the group committed the whole input", () =>
      waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, settleMs)
    )
    await collector.caughtUp()
    // the reader may still be behind on a loaded machine: give it time; a lost outcome never comes
    await settled("every event has an outcome", () =>
      collector.waitForAll(ids, { timeoutMs: ctx.quick ? 30_000 : 60_000 })
    )
    await settled("every event reached the sink", () =>
      waitFor(() => sink.stats(input.order).missing === 0, {
        timeoutMs: 10_000,
        description: "every event at the sink"
      })
    )
    const dup = duplicatesOver(collector, input)
    const t = { ...tally(collector, ids), duplicates: dup.extra }
    if (dup.extra > 0)
      figures["duplicates_at"] =
        `${dup.span}, e.g. ${dup.sample.map((id) => `${id} (${(positions.get(id) ?? []).join(" ")})`).join(", ")}`
    const order = sink.stats(input.order)
    const { baselinePerS, each } = recoveries(sink.firstArrivals(), faults, Math.min(5_000, size.warmupMs - 1_000))

    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome ${t.lostSample.join(",")}`)
    const notSucceeded = ids.filter((id) => collector.events.get(id)?.succeeded !== true).length
    checks.add("every chain succeeded", notSucceeded === 0, `${notSucceeded} not succeeded`)
    checks.add(
      "per-key order at the sink: 0 violations",
      order.violations === 0,
      `${order.violations} ${order.sample.join("; ")}`
    )
    const bound = faults.length * (MAX_IN_FLIGHT + Math.ceil(2 * baselinePerS))
    if (scenario.exactlyOnce)
      checks.add("exactly-once: 0 duplicate outcomes (read_committed)", t.duplicates === 0, `${t.duplicates}`)
    else
      checks.add(
        "at-least-once: duplicates bounded by what was in flight or uncommitted at the faults",
        t.duplicates <= bound,
        `${t.duplicates} ≤ ${bound} (${faults.length} faults × (${MAX_IN_FLIGHT} in flight + 2 s at ${round(baselinePerS)}/s))`
      )
    const recoveryList = reportRecoveries(checks, figures, faults, each)
    for (const p of run.instances())
      checks.add(`${p.label} survived every fault by itself`, p.running(), p.running() ? "running" : "exited")

    figures["rate_per_s"] = size.ratePerS
    figures["baseline_per_s"] = round(baselinePerS)
    figures["order_violations"] = order.violations
    figures["sink_deliveries"] = order.deliveries
    figures["sink_duplicates"] = order.duplicates
    figures["sink_rewinds"] = order.rewinds
    figures["duplicate_bound"] = bound

    for (const p of run.instances()) {
      const exit = await p.kill("SIGTERM")
      checks.add(`${p.label} stops cleanly on SIGTERM at the end`, exit.code === 0, JSON.stringify(exit))
    }
    return scenarioResult(
      t,
      checks,
      started,
      `${scenario.notes(run)}; ${scenario.exactlyOnce ? "exactly-once" : "at-least-once"} at ${size.ratePerS}/s; ` +
        `full throughput again after ${recoveryList.join(" / ")} s; order violations ${order.violations}; ` +
        `sink ${order.duplicates} repeats`,
      figures
    )
  } finally {
    producing = false
    for (const p of all) await p.kill("SIGKILL")
    // post-mortem: the topics' log segments as the brokers wrote them (transaction markers,
    // producer ids, sequences), for kafka-tools' DumpLogSegments
    if (process.env["CHAOS_KEEP_SEGMENTS"] !== undefined && ctx.cluster !== undefined)
      await copyTopicSegments(ctx.cluster.nodes, [ws.topics.input, ws.topics.results, ws.topics.dlq], ws.dir)
    await collector.stop()
    await sink.close()
    await ws.close()
  }
}
