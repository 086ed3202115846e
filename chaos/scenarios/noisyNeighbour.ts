/**
 * noisy_neighbour: one processor, one input topic (6 partitions), two streams on interleaved
 * keys. Stream B sends at a steady rate to a sink that answers at once; stream A adds its own
 * rate to a sink of its own that, phase by phase, answers at once (baseline, A idle), answers
 * only after a long delay (slow), and never answers (hung: attempt timeout, circuit breaker on),
 * then recovers. Required (issue 19): while A's sink is slow and while it hangs, B keeps ≥ 90% of
 * its baseline throughput and its p99 ≤ 2 × baseline p99 + 100 ms; A loses nothing (every A
 * event ends succeeded once the sink is back, or dead-lettered with its reason); no key's events
 * reach either sink out of order (first arrivals).
 *
 * Latency of a B event: from its produce call to its result record read back from the results
 * topic (the same reader for every phase, so its own delay is in the baseline too).
 */
import { type ScriptedServer, startScriptedServer } from "../harness/httpServers.ts"
import { waitForGroupCommitted } from "../harness/kafkaState.ts"
import { metricSum } from "../harness/metrics.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { startProcessor } from "../harness/processes.ts"
import { eventMessage, produceMessages } from "../harness/produce.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0)

interface PhaseFigures {
  readonly eventsPerS: number
  readonly p50: number
  readonly p99: number
  readonly longestGapMs: number
  readonly maxInFlight: number
}

/** first arrivals per key out of sequence order at a sink (bodies carry `{ key, seq }`) */
const orderViolations = (server: ScriptedServer, path: string): number => {
  const seen = new Set<string>()
  const last = new Map<string, number>()
  let violations = 0
  for (const r of server.requests) {
    if (r.path !== path) continue
    let body: { key?: string; seq?: number }
    try {
      body = JSON.parse(r.body)
    } catch {
      continue
    }
    const id = `${body.key}:${body.seq}`
    if (seen.has(id) || body.key === undefined || body.seq === undefined) continue
    seen.add(id)
    if ((last.get(body.key) ?? -1) > body.seq) violations++
    last.set(body.key, Math.max(last.get(body.key) ?? -1, body.seq))
  }
  return violations
}

export const noisyNeighbour = async (ctx: ChaosContext, size: Sizes["noisy_neighbour"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const sinkA = await startScriptedServer()
  const sinkB = await startScriptedServer()
  sinkA.on("/a", { type: "status", status: 200 })
  sinkB.on("/b", { type: "status", status: 200 })
  const httpStep = (id: string, url: string, timeoutMs: number) => ({
    module: "http",
    id,
    config: { url, allowed_hosts: ["127.0.0.1"] },
    timeout: `${timeoutMs}ms`,
    retry: { max_attempts: 2, initial_delay: "200ms" }
  })
  const ws = await makeWorkspace(ctx, "noisy_neighbour", {
    partitions: 6,
    connections: {
      a_sink: { type: "http", circuit_breaker: { failure_threshold: 5, cooldown: `${size.cooldownMs}ms` } }
    },
    streams: {
      a: {
        id: "a",
        timeout: "30s",
        chain: [{ ...httpStep("notify", sinkA.url("/a"), size.hangTimeoutMs), connection: "a_sink" }]
      },
      b: { id: "b", timeout: "30s", chain: [httpStep("notify", sinkB.url("/b"), 5_000)] }
    }
  })
  const sentAt = new Map<string, number>()
  const doneAt = new Map<string, number>()
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics, {
    onRecord: (r) => {
      if (r.kind === "result" && r.key.startsWith("b-") && !doneAt.has(r.key)) doneAt.set(r.key, Date.now())
    }
  })
  const processor = startProcessor(ws, { brokers: ctx.brokers, label: "noisy_neighbour", verbose: ctx.verbose })
  let sampling = true
  let peakInFlight = 0
  const sampler = (async () => {
    while (sampling) {
      try {
        peakInFlight = Math.max(peakInFlight, metricSum(await processor.metrics(), "hookstream_inflight_events"))
      } catch {
        // not up yet
      }
      await sleep(250)
    }
  })()

  let bNext = 0
  let aNext = 0
  const aIds: Array<string> = []
  const bIds: Array<string> = []
  /** B (and A when `withA`) at their rates for `ms`; answers the B ids sent in that window */
  const phase = async (ms: number, withA: boolean): Promise<ReadonlyArray<string>> => {
    const bCount = Math.round((size.bRatePerS * ms) / 1_000)
    const aCount = Math.round((size.aRatePerS * ms) / 1_000)
    const bFrom = bNext
    bNext += bCount
    const sendB = produceMessages(
      ctx.kafka,
      ws.topics.input,
      bCount,
      (i) => {
        const seq = bFrom + i
        const id = `b-${seq}`
        const key = `b${seq % 100}`
        sentAt.set(id, Date.now())
        bIds.push(id)
        return eventMessage({ webhookId: "b", id, payload: { key, seq } }, key)
      },
      { ratePerS: size.bRatePerS, batch: 20 }
    )
    const aFrom = aNext
    if (withA) aNext += aCount
    const sendA = withA
      ? produceMessages(
          ctx.kafka,
          ws.topics.input,
          aCount,
          (i) => {
            const seq = aFrom + i
            const id = `a-${seq}`
            const key = `a${seq % 50}`
            aIds.push(id)
            return eventMessage({ webhookId: "a", id, payload: { key, seq } }, key)
          },
          { ratePerS: size.aRatePerS, batch: 10 }
        )
      : Promise.resolve(0)
    await Promise.all([sendB, sendA])
    return bIds.slice(bFrom, bFrom + bCount)
  }

  /** B's figures for the events sent in a phase, once they all have results (or the wait ends) */
  const measure = async (ids: ReadonlyArray<string>, phaseMs: number): Promise<PhaseFigures> => {
    await collector.waitForAll(ids, { timeoutMs: 60_000 }).catch(() => undefined)
    const latencies = ids.flatMap((id) => {
      const s = sentAt.get(id)
      const d = doneAt.get(id)
      return s === undefined || d === undefined ? [] : [d - s]
    })
    latencies.sort((x, y) => x - y)
    const done = ids.flatMap((id) => {
      const d = doneAt.get(id)
      return d === undefined ? [] : [d]
    })
    done.sort((x, y) => x - y)
    let gap = 0
    for (let i = 1; i < done.length; i++) gap = Math.max(gap, (done[i] ?? 0) - (done[i - 1] ?? 0))
    // delivered per second of the phase: events sent in it whose result came within it (+ 1 s)
    const from = sentAt.get(ids[0] ?? "") ?? 0
    const within = done.filter((d) => d <= from + phaseMs + 1_000).length
    const figures = {
      eventsPerS: round(within / (phaseMs / 1_000)),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      longestGapMs: gap,
      maxInFlight: peakInFlight
    }
    peakInFlight = 0
    return figures
  }

  try {
    await processor.ready({ partitions: true })
    // warm up both paths at the full rate, so the baseline is the steady state: with a 1 s
    // warm-up a full run on a busy machine measured B's baseline p99 at 11.9 s (the start's
    // catch-up), which made the phases' p99 bound meaningless
    const warmupMs = Math.max(1_000, Math.round(size.phaseMs / 4))
    await measure(await phase(warmupMs, true), warmupMs)
    const baseline = await measure(await phase(size.phaseMs, false), size.phaseMs)
    ctx.log(`  baseline: B ${baseline.eventsPerS}/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`)

    sinkA.on("/a", { type: "status", status: 200, delayMs: size.slowMs })
    const slow = await measure(await phase(size.phaseMs, true), size.phaseMs)
    ctx.log(`  A slow: B ${slow.eventsPerS}/s, p50 ${slow.p50} ms, p99 ${slow.p99} ms`)

    sinkA.on("/a", { type: "hang" })
    const hung = await measure(await phase(size.phaseMs, true), size.phaseMs)
    ctx.log(`  A hung: B ${hung.eventsPerS}/s, p50 ${hung.p50} ms, p99 ${hung.p99} ms`)

    sinkA.on("/a", { type: "status", status: 200 })
    const recoveredAt = Date.now()
    for (const [name, f] of [
      ["baseline", baseline],
      ["slow", slow],
      ["hung", hung]
    ] as const) {
      figures[`b_${name}_events_per_s`] = f.eventsPerS
      figures[`b_${name}_p50_ms`] = f.p50
      figures[`b_${name}_p99_ms`] = f.p99
      figures[`b_${name}_longest_gap_ms`] = f.longestGapMs
      figures[`${name}_peak_in_flight`] = f.maxInFlight
    }
    const p99Bound = 2 * baseline.p99 + 100
    for (const [name, f] of [
      ["slow", slow],
      ["hung", hung]
    ] as const) {
      checks.add(
        `A ${name}: B keeps ≥ 90% of its baseline throughput`,
        f.eventsPerS >= 0.9 * baseline.eventsPerS,
        `${f.eventsPerS}/s of ${baseline.eventsPerS}/s`
      )
      checks.add(
        `A ${name}: B p99 ≤ 2 × baseline p99 + 100 ms`,
        f.p99 <= p99Bound,
        `${f.p99} ms (bound ${p99Bound} ms; p50 ${f.p50} ms)`
      )
    }

    // A: every event ends, succeeded (now that its sink is back) or dead-lettered with a reason
    await collector.waitForAll(aIds, { timeoutMs: size.drainTimeoutMs }).catch(() => undefined)
    figures["a_drained_s"] = round((Date.now() - recoveredAt) / 1_000)
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 60_000).catch(() => undefined)
    await collector.caughtUp()
    const all = [...aIds, ...bIds]
    const t = tally(collector, all)
    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome (${t.lostSample.join(", ")})`)
    let aSucceeded = 0
    const aReasons = new Map<string, number>()
    for (const id of aIds) {
      const o = collector.events.get(id)
      if (o?.succeeded === true) aSucceeded++
      else if (o?.reason !== undefined) aReasons.set(o.reason, (aReasons.get(o.reason) ?? 0) + 1)
    }
    figures["a_events"] = aIds.length
    figures["a_succeeded"] = aSucceeded
    figures["a_dead_lettered"] = JSON.stringify(Object.fromEntries(aReasons))
    const aUnaccounted = aIds.length - aSucceeded - [...aReasons.values()].reduce((x, y) => x + y, 0)
    checks.add(
      "every A event succeeded or is a dead letter with its reason",
      aUnaccounted === 0,
      `${aSucceeded} succeeded, dead letters ${JSON.stringify(Object.fromEntries(aReasons))}, ${aUnaccounted} neither`
    )
    const bFailed = bIds.filter((id) => collector.events.get(id)?.succeeded !== true).length
    checks.add("every B event succeeded", bFailed === 0, `${bFailed} of ${bIds.length} did not`)
    const metrics = await processor.metrics()
    figures["deferred_total"] = metricSum(metrics, "hookstream_deferred_total")
    // by stream and reason: B should never be deferred (its sink is fast)
    for (const [series, value] of metrics)
      if (series.startsWith("hookstream_deferred_total{"))
        figures[series.slice("hookstream_deferred_total".length)] = value
    const violations = orderViolations(sinkA, "/a") + orderViolations(sinkB, "/b")
    figures["order_violations"] = violations
    checks.add("per-key order at the sinks (first arrivals)", violations === 0, `${violations}`)
    const stop = await processor.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))
    return scenarioResult(
      t,
      checks,
      started,
      `B ${baseline.eventsPerS}/${slow.eventsPerS}/${hung.eventsPerS} events/s, p99 ${baseline.p99}/${slow.p99}/${hung.p99} ms ` +
        `(baseline/A slow/A hung); A ${aSucceeded} of ${aIds.length} succeeded, ${figures["deferred_total"]} deferrals`,
      figures
    )
  } finally {
    sampling = false
    await sampler
    await processor.kill("SIGKILL")
    await collector.stop()
    await sinkA.close()
    await sinkB.close()
    await ws.close()
  }
}
