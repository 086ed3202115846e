/**
 * overload: the chain calls an HTTP sink that takes `sinkDelayMs` per request through a
 * connection allowing `sinkConcurrency` requests at once, so the processor's capacity is
 * I/O-bound and measurable. First the processing rate R is measured on a pre-filled batch;
 * then events are produced at `factor` × R for `durationMs` (directly to Kafka), while a
 * herd of HTTP clients hits `hookstream ingress` (run with a small --max-in-flight) once a
 * second. Sampled throughout from /metrics and the broker: both processes' RSS and the
 * group's lag.
 *
 * Required: the processor's RSS stays under the bound (its in-flight caps hold memory
 * whatever the backlog); lag rises during the overload, then drains to 0; nothing is lost
 * (every produced event and every 202 from the ingress has an outcome); the ingress answers
 * 503 when it is full rather than taking more than it can hold, and only 202 or 503.
 */
import { startSlowSink } from "../../bench/harness/startSlowSink.ts"
import { groupLag, waitForGroupCommitted } from "../harness/kafkaState.ts"
import { rssMb } from "../harness/metrics.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { type HookstreamProcess, startIngressProcess, startProcessor } from "../harness/processes.ts"
import { produceEvents } from "../harness/produce.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Sample {
  readonly at: number
  readonly rss: number
  readonly ingressRss: number
  readonly lag: number
}

export const overload = async (ctx: ChaosContext, size: Sizes["overload"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const sink = await startSlowSink(size.sinkDelayMs)
  const ws = await makeWorkspace(ctx, "overload", {
    partitions: 6,
    connections: { slow: { type: "http", max_in_flight: size.sinkConcurrency } },
    streams: {
      load: {
        id: "load",
        timeout: "60s",
        ingress: {},
        chain: [
          { module: "http", id: "deliver", connection: "slow", config: { url: sink.url, allowed_hosts: ["127.0.0.1"] } }
        ]
      }
    }
  })
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics)
  const processor = startProcessor(ws, { brokers: ctx.brokers, label: "overload", verbose: ctx.verbose })
  const ingress = startIngressProcess(ws, {
    brokers: ctx.brokers,
    label: "overload-ingress",
    maxInFlight: size.ingressMaxInFlight,
    produceTimeout: "5s",
    verbose: ctx.verbose
  })
  // the work not yet done: the input's lag plus the deferred topic's (a congested sink's work
  // goes there instead of waiting in memory, see docs/isolation.md)
  const workLeft = async () =>
    (await groupLag(ctx.kafka, ws.group, ws.topics.input)) +
    (await groupLag(ctx.kafka, `${ws.group}.deferred`, `${ws.topics.input}.deferred`).catch(() => 0))
  const samples: Array<Sample> = []
  let sampling = true
  const rssOf = async (p: HookstreamProcess) => {
    try {
      return rssMb(await p.metrics())
    } catch {
      return Number.NaN
    }
  }
  const sampler = (async () => {
    while (sampling) {
      const [rss, ingressRss, lag] = await Promise.all([
        rssOf(processor),
        rssOf(ingress),
        workLeft().catch(() => Number.NaN)
      ])
      samples.push({ at: Date.now(), rss, ingressRss, lag })
      await sleep(1_000)
    }
  })()
  const peak = (from: number, to: number, pick: (s: Sample) => number) =>
    Math.max(
      0,
      ...samples
        .filter((s) => s.at >= from && s.at <= to)
        .map(pick)
        .filter((n) => !Number.isNaN(n))
    )
  try {
    await Promise.all([processor.ready({ partitions: true }), ingress.ready()])

    // 1. capacity: a pre-filled batch, timed from first to last outcome
    const calIds = Array.from({ length: size.calibrationEvents }, (_, i) => `overload-cal-${i}`)
    const event = (id: string, i: number) => ({ webhookId: "load", id, payload: { i, filler: "x".repeat(200) } })
    const calFrom = Date.now()
    await produceEvents(ctx.kafka, ws.topics.input, calIds.length, (i) => event(calIds[i] as string, i))
    let firstAt = 0
    while (collector.records() === 0) await sleep(20)
    firstAt = Date.now()
    await collector.waitForAll(calIds, { timeoutMs: 300_000 })
    const rate = (calIds.length - 1) / Math.max(0.001, (Date.now() - firstAt) / 1_000)
    figures["rate_per_s"] = round(rate)
    figures["rss_at_capacity_mb"] = round(peak(calFrom, Date.now(), (s) => s.rss))
    ctx.log(`  processing rate ${round(rate)} events/s; producing ${size.factor}× for ${size.durationMs / 1_000} s`)

    // 2. overload: factor × rate into Kafka, and a herd at the ingress every second
    const count = Math.round((rate * size.factor * size.durationMs) / 1_000)
    const ids = Array.from({ length: count }, (_, i) => `overload-${i}`)
    const overloadFrom = Date.now()
    const codes = new Map<string, number>()
    const accepted: Array<string> = []
    let herding = true
    const herd = (async () => {
      const url = `${ingress.url()}/webhooks/load`
      while (herding) {
        const round0 = Date.now()
        await Promise.all(
          Array.from({ length: size.ingressClients }, async (_, c) => {
            try {
              const r = await fetch(url, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ client: c, filler: "y".repeat(200) })
              })
              const body = (await r.json().catch(() => ({}))) as { event_id?: string }
              codes.set(String(r.status), (codes.get(String(r.status)) ?? 0) + 1)
              if (r.status === 202 && body.event_id !== undefined) accepted.push(body.event_id)
            } catch (e) {
              const key = `error ${e instanceof Error ? e.message : String(e)}`
              codes.set(key, (codes.get(key) ?? 0) + 1)
            }
          })
        )
        await sleep(Math.max(0, 1_000 - (Date.now() - round0)))
      }
    })()
    const produced = await produceEvents(ctx.kafka, ws.topics.input, count, (i) => event(ids[i] as string, i), {
      ratePerS: rate * size.factor,
      batch: 1_000
    })
    herding = false
    await herd
    const overloadTo = Date.now()
    figures["produced"] = produced
    figures["produce_rate_per_s"] = round(produced / ((overloadTo - overloadFrom) / 1_000))
    figures["ingress_202"] = codes.get("202") ?? 0
    figures["ingress_503"] = codes.get("503") ?? 0
    ctx.log(
      `  produced ${produced} events at ${figures["produce_rate_per_s"]}/s; ingress ${JSON.stringify(Object.fromEntries(codes))}`
    )

    // 3. drain
    const all = [...calIds, ...ids, ...accepted]
    const backlog = count + accepted.length
    await collector.waitForAll(all, { timeoutMs: 300_000 + (backlog / rate) * 2_000 })
    const drainedAt = Date.now()
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 120_000)
    await waitForGroupCommitted(ctx.kafka, `${ws.group}.deferred`, `${ws.topics.input}.deferred`, 120_000).catch(
      () => undefined
    )
    await collector.caughtUp()
    figures["drain_s"] = round((drainedAt - overloadTo) / 1_000)
    const t = tally(collector, all)

    const rssPeak = peak(overloadFrom, Date.now(), (s) => s.rss)
    const ingressPeak = peak(started, Date.now(), (s) => s.ingressRss)
    const lagPeak = peak(overloadFrom, Date.now(), (s) => s.lag)
    const lagEnd = await workLeft()
    figures["rss_peak_mb"] = round(rssPeak)
    figures["ingress_rss_peak_mb"] = round(ingressPeak)
    figures["lag_peak"] = lagPeak
    figures["lag_end"] = lagEnd
    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome ${t.lostSample.join(",")}`)
    const failed = all.filter((id) => collector.events.get(id)?.succeeded !== true).length
    checks.add("every event succeeded", failed === 0, `${failed} not succeeded`)
    checks.add(
      `processor RSS under ${size.rssBoundMb} MB`,
      rssPeak > 0 && rssPeak < size.rssBoundMb,
      `peak ${round(rssPeak)} MB in the overload (${figures["rss_at_capacity_mb"]} MB at capacity)`
    )
    checks.add(
      "lag rises then drains",
      lagPeak >= (count * (size.factor - 1)) / size.factor / 2 && lagEnd === 0,
      `peak ${lagPeak} (backlog ~${Math.round((count * (size.factor - 1)) / size.factor)}), at the end ${lagEnd}`
    )
    checks.add(
      `produced at ~${size.factor}× the processing rate`,
      produced === count && Number(figures["produce_rate_per_s"]) >= rate * size.factor * 0.8,
      `${figures["produce_rate_per_s"]}/s vs ${round(rate)}/s`
    )
    const others = [...codes].filter(([code]) => code !== "202" && code !== "503")
    checks.add(
      "the ingress answers 503 when full, never anything but 202/503",
      (codes.get("503") ?? 0) > 0 && (codes.get("202") ?? 0) > 0 && others.length === 0,
      JSON.stringify(Object.fromEntries(codes))
    )
    checks.add(
      `ingress RSS under ${size.rssBoundMb} MB`,
      ingressPeak > 0 && ingressPeak < size.rssBoundMb,
      `peak ${round(ingressPeak)} MB`
    )
    checks.add("processor still running", processor.running(), processor.running() ? "yes" : "exited")
    const stop = await processor.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))
    return scenarioResult(
      t,
      checks,
      started,
      `capacity ${figures["rate_per_s"]}/s, produced ${figures["produce_rate_per_s"]}/s for ${size.durationMs / 1_000} s; ` +
        `RSS peak ${figures["rss_peak_mb"]} MB (bound ${size.rssBoundMb}); lag peak ${lagPeak} → 0 in ${figures["drain_s"]} s; ` +
        `ingress ${figures["ingress_202"]}×202 / ${figures["ingress_503"]}×503, RSS ${figures["ingress_rss_peak_mb"]} MB`,
      figures
    )
  } finally {
    sampling = false
    await sampler
    await processor.kill("SIGKILL")
    await ingress.kill("SIGKILL")
    await collector.stop()
    await sink.close()
    await ws.close()
  }
}
