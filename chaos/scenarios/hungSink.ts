/**
 * hung_sink: an HTTP sink that accepts connections and never answers a byte. Every chain
 * must end at its deadline (±10%, from the result record's duration) as a dead letter with
 * reason `timed_out`, the sink must see every connection closed (the requests were aborted,
 * not left hanging), and afterwards the processor's active handles, Effect fibers and
 * in-flight events are back to where they were before the hung events (read from its
 * /metrics: nodejs_active_handles_total, hookstream_fibers_active, hookstream_inflight_events).
 */
import { waitFor } from "../../test/support/waitFor.ts"
import { startSilentServer } from "../harness/httpServers.ts"
import { waitForGroupCommitted } from "../harness/kafkaState.ts"
import { metricSum } from "../harness/metrics.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { type HookstreamProcess, startProcessor } from "../harness/processes.ts"
import { produceEvents } from "../harness/produce.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const WARMUP = 20

interface Idle {
  readonly handles: number
  readonly fibers: number
  readonly inFlight: number
}

const idleLevel = async (p: HookstreamProcess): Promise<Idle> => {
  const m = await p.metrics()
  return {
    handles: metricSum(m, "nodejs_active_handles_total"),
    fibers: metricSum(m, "hookstream_fibers_active"),
    inFlight: metricSum(m, "hookstream_inflight_events")
  }
}

export const hungSink = async (ctx: ChaosContext, size: Sizes["hung_sink"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const sink = await startSilentServer()
  const deadline = size.deadlineMs
  const ws = await makeWorkspace(ctx, "hung_sink", {
    partitions: 3,
    connections: {},
    streams: {
      warm: { id: "warm", chain: [{ module: "log", id: "note" }] },
      hung: {
        id: "hung",
        timeout: `${deadline}ms`,
        chain: [
          {
            module: "http",
            id: "notify",
            config: { url: `http://127.0.0.1:${sink.port}/hooks`, allowed_hosts: ["127.0.0.1"] },
            // the attempt may take the whole chain: the deadline is what ends it
            timeout: `${deadline}ms`,
            retry: { max_attempts: 3, initial_delay: "100ms" }
          }
        ]
      }
    }
  })
  const durationOf = new Map<string, number>()
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics, {
    onRecord: (r) => {
      if (r.kind === "result" && typeof r.value["duration_ms"] === "number")
        durationOf.set(r.key, r.value["duration_ms"])
    }
  })
  const processor = startProcessor(ws, { brokers: ctx.brokers, label: "hung_sink", verbose: ctx.verbose })
  try {
    await processor.ready({ partitions: true })
    // warm up (producer connections, code paths), then take the idle level
    const warmIds = Array.from({ length: WARMUP }, (_, i) => `hung_sink-warm-${i}`)
    await produceEvents(ctx.kafka, ws.topics.input, WARMUP, (i) => ({
      webhookId: "warm",
      id: warmIds[i] as string,
      payload: { i }
    }))
    await collector.waitForAll(warmIds, { timeoutMs: 60_000 })
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 30_000)
    const baseline = await idleLevel(processor)
    figures["baseline_handles"] = baseline.handles
    figures["baseline_fibers"] = baseline.fibers

    const ids = Array.from({ length: size.events }, (_, i) => `hung_sink-${i}`)
    // distinct keys: the chains run concurrently, all stuck on the sink at once
    await produceEvents(
      ctx.kafka,
      ws.topics.input,
      size.events,
      (i) => ({ webhookId: "hung", id: ids[i] as string, payload: { i } }),
      { keys: size.events }
    )
    await waitFor(() => sink.accepted() > 0, { timeoutMs: 30_000, description: "the hung sink's first connection" })
    figures["peak_connections"] = sink.open()
    const during = await idleLevel(processor)
    figures["fibers_while_hung"] = during.fibers
    figures["handles_while_hung"] = during.handles

    await collector.waitForAll(ids, { timeoutMs: 120_000 + size.events * deadline })
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 60_000)
    await collector.caughtUp()
    const t = tally(collector, ids)
    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome`)

    // every chain: a timed_out result at its deadline, and a dead letter saying so
    const durations = ids.flatMap((id) => {
      const d = durationOf.get(id)
      return d === undefined ? [] : [d]
    })
    const reasons = new Map<string, number>()
    for (const id of ids) {
      const reason = collector.events.get(id)?.reason ?? "none"
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
    }
    const notTimedOut = ids.filter((id) => collector.events.get(id)?.reason !== "timed_out").length
    checks.add(
      "every event dead-lettered with reason timed_out",
      notTimedOut === 0,
      `${notTimedOut} not; reasons ${JSON.stringify(Object.fromEntries(reasons))}`
    )
    const lo = Math.min(...durations)
    const hi = Math.max(...durations)
    figures["duration_min_ms"] = lo
    figures["duration_max_ms"] = hi
    checks.add(
      `chains end at the deadline ±10% (${deadline} ms)`,
      durations.length === ids.length && lo >= deadline * 0.9 && hi <= deadline * 1.1,
      `${durations.length} durations, ${lo}-${hi} ms`
    )

    // the sink saw every request go away (aborted at the deadline, not left open)
    await waitFor(() => sink.open() === 0, { timeoutMs: 10_000 }).catch(() => undefined)
    checks.add("the sink saw every connection closed", sink.open() === 0, `${sink.open()} of ${sink.accepted()} open`)
    figures["sink_connections"] = sink.accepted()

    // back to the idle level: handles, fibers and in-flight events
    let after: Idle = await idleLevel(processor)
    await waitFor(
      async () => {
        after = await idleLevel(processor)
        return after.handles <= baseline.handles && after.fibers <= baseline.fibers && after.inFlight === 0
      },
      { timeoutMs: 15_000, intervalMs: 250 }
    ).catch(() => undefined)
    figures["after_handles"] = after.handles
    figures["after_fibers"] = after.fibers
    checks.add(
      "active handles back to baseline",
      after.handles <= baseline.handles,
      `${baseline.handles} → ${during.handles} while hung → ${after.handles}`
    )
    checks.add(
      "fibers back to baseline",
      after.fibers <= baseline.fibers,
      `${baseline.fibers} → ${during.fibers} while hung → ${after.fibers}`
    )
    checks.add("no event in flight", after.inFlight === 0, `${after.inFlight}`)
    checks.add("processor still running", processor.running(), processor.running() ? "yes" : "exited")
    const stop = await processor.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))
    return scenarioResult(
      t,
      checks,
      started,
      `all timed_out at ${lo}-${hi} ms (deadline ${deadline}); handles ${baseline.handles}→${during.handles}→${after.handles}, ` +
        `fibers ${baseline.fibers}→${during.fibers}→${after.fibers}`,
      figures
    )
  } finally {
    await processor.kill("SIGKILL")
    await collector.stop()
    await sink.close()
    await ws.close()
  }
}
