/**
 * sink_outage: events arrive at a steady rate; the PostgreSQL sink is reached through a TCP
 * relay, which refuses connections for the outage (the machine's PostgreSQL is never
 * touched). Required: during the outage chains retry within their deadline; once the
 * connection's circuit opens, new work is deferred (it waits on the deferred path for the next
 * probe, docs/isolation.md) rather than failed at once; what cannot finish within its deadline
 * goes to the DLQ; the circuit opens and, once the sink is back, closes again (read from
 * /metrics); afterwards `hookstream replay` of the DLQ completes every event: each one has a
 * succeeded result (first time, after its deferral, or replayed) and PostgreSQL holds exactly
 * one row per event.
 */
import { join } from "node:path"
import { startTcpProxy } from "../../test/support/tcpProxy.ts"
import { waitFor } from "../../test/support/waitFor.ts"
import { waitForGroupCommitted, waitForProcessorIdle } from "../harness/kafkaState.ts"
import { metricSum } from "../harness/metrics.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { runHookstream, startProcessor } from "../harness/processes.ts"
import { produceEvents } from "../harness/produce.ts"
import { exactlyOnce, postgresSink } from "../harness/sinks.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const DEADLINE_MS = 5_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface FirstRun {
  readonly status: string
  readonly attempts: number
  readonly moduleStatus: string
  /** the module's own time, all attempts and backoff included (a deferred chain's wait is not in it) */
  readonly durationMs: number
  readonly startedAt: number
}

export const sinkOutage = async (ctx: ChaosContext, size: Sizes["sink_outage"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const table = `${ctx.runId}_sink_outage`.toLowerCase().replace(/[^a-z0-9_]/g, "_")
  const pg = await postgresSink(table)
  const proxy = await startTcpProxy({ host: pg.address.host, port: pg.address.port })
  const ws = await makeWorkspace(ctx, "sink_outage", {
    partitions: 3,
    connections: {
      db: {
        type: "postgresql",
        host: "127.0.0.1",
        port: proxy.port,
        database: pg.address.database,
        user: pg.address.username,
        ...(pg.address.password === "" ? {} : { password: pg.address.password }),
        pool_size: 8,
        connect_timeout: "1s",
        circuit_breaker: { failure_threshold: 30, cooldown: `${size.cooldownMs}ms` }
      }
    },
    streams: {
      orders: {
        id: "orders",
        timeout: `${DEADLINE_MS}ms`,
        chain: [
          {
            module: "postgresql",
            id: "store",
            connection: "db",
            config: { table, storage_mode: "json" },
            timeout: "2s",
            retry: { max_attempts: 4, initial_delay: "200ms", max_delay: "2s", multiplier: 2 }
          }
        ]
      }
    }
  })
  const first = new Map<string, FirstRun>()
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics, {
    onRecord: (r) => {
      if (r.kind !== "result" || r.value["replay_count"] !== 0 || first.has(r.key)) return
      const m = (
        r.value["modules"] as ReadonlyArray<{ status: string; attempts: number; duration_ms: number }> | undefined
      )?.[0]
      first.set(r.key, {
        status: String(r.value["status"]),
        attempts: m?.attempts ?? 0,
        moduleStatus: m?.status ?? "",
        // each run of a chain is bounded by the deadline; a chain the circuit deferred ran twice
        // (docs/isolation.md), and its result's duration_ms spans both and the wait between
        durationMs: m?.duration_ms ?? Number(r.value["duration_ms"]),
        startedAt: Date.parse(String(r.value["started_at"]))
      })
    }
  })
  const processor = startProcessor(ws, { brokers: ctx.brokers, label: "sink_outage", verbose: ctx.verbose })
  const circuit: Array<{ readonly at: number; readonly state: number }> = []
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      try {
        const m = await processor.metrics()
        circuit.push({ at: Date.now(), state: metricSum(m, "hookstream_circuit_state", ['connection="db"']) })
      } catch {
        // not up yet
      }
      await sleep(200)
    }
  })()
  try {
    await processor.ready({ partitions: true })
    const total = Math.round((size.ratePerS * (size.beforeMs + size.outageMs + size.afterMs)) / 1_000)
    const ids = Array.from({ length: total }, (_, i) => `sink_outage-${i}`)
    const producing = produceEvents(
      ctx.kafka,
      ws.topics.input,
      total,
      (i) => ({ webhookId: "orders", id: ids[i] as string, payload: { order_id: i } }),
      { ratePerS: size.ratePerS, batch: 50 }
    )
    await sleep(size.beforeMs)
    const outageFrom = Date.now()
    await proxy.refuse()
    ctx.log(`  sink refusing connections for ${size.outageMs} ms`)
    await sleep(size.outageMs)
    await proxy.accept()
    const outageTo = Date.now()
    ctx.log("  sink back")
    await producing
    await collector.waitForAll(ids, { timeoutMs: 120_000 })
    // the breaker's next probe after the cooldown finds the sink up and closes it
    await waitFor(() => circuit.some((c) => c.at > outageTo && c.state === 0), {
      timeoutMs: size.cooldownMs + 30_000,
      description: "the circuit closed after the outage"
    }).catch(() => undefined)
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 60_000)
    await collector.caughtUp()
    const t1 = tally(collector, ids)
    checks.add("lost = 0 (before the replay)", t1.lost === 0, `${t1.lost} of ${t1.events} without outcome`)

    const runs = ids.flatMap((id) => {
      const r = first.get(id)
      return r === undefined ? [] : [r]
    })
    const failed = runs.filter((r) => r.status !== "succeeded")
    const deadLettered = ids.filter((id) => (collector.events.get(id)?.dlq[0] ?? 0) > 0)
    const retried = failed.filter((r) => r.attempts > 1)
    const slowest = Math.max(0, ...runs.map((r) => r.durationMs))
    figures["dead_lettered"] = deadLettered.length
    figures["failed_with_retries"] = retried.length
    figures["circuit_open_refusals"] = failed.filter((r) => r.moduleStatus === "circuit_open").length
    figures["slowest_chain_ms"] = slowest
    // While the circuit is open, new work waits on the deferred path for the next probe
    // (docs/isolation.md): an event ends succeeded once the sink is back, or, when no run of it
    // can finish within its deadline, dead-lettered with the reason.
    const deferredOpen = metricSum(await processor.metrics(), "hookstream_deferred_total", ['reason="circuit_open"'])
    figures["deferred_circuit_open"] = deferredOpen
    checks.add(
      "events during the outage end succeeded or dead-lettered, every failed chain in the DLQ",
      deadLettered.length === failed.length,
      `${deadLettered.length} dead letters, ${failed.length} failed chains, ${deferredOpen} deferred while the circuit was open`
    )
    checks.add(
      "work that met the open circuit was deferred, not failed at once",
      deferredOpen > 0,
      `${deferredOpen} deferrals (circuit_open)`
    )
    checks.add(
      "no run past its deadline; failed chains retried",
      (failed.length === 0 || retried.length > 0) && slowest <= DEADLINE_MS * 1.1,
      `${retried.length} of ${failed.length} failed retried (up to ${Math.max(0, ...retried.map((r) => r.attempts))} attempts); slowest run ${slowest} ms (deadline ${DEADLINE_MS})`
    )
    const outsideOutage = runs.filter(
      (r) => r.startedAt < outageFrom - 1_000 || r.startedAt > outageTo + size.cooldownMs + 5_000
    )
    const failedOutside = outsideOutage.filter((r) => r.status !== "succeeded").length
    checks.add(
      "events well before or after the outage succeed",
      failedOutside === 0,
      `${failedOutside} of ${outsideOutage.length} failed`
    )
    const opened = circuit.find((c) => c.state === 2 && c.at >= outageFrom && c.at <= outageTo + 1_000)
    const closedAgain = circuit.find((c) => c.state === 0 && c.at > outageTo)
    figures["circuit_opened_after_ms"] = opened === undefined ? -1 : opened.at - outageFrom
    figures["circuit_closed_after_ms"] = closedAgain === undefined ? -1 : closedAgain.at - outageTo
    checks.add(
      "the circuit opens during the outage",
      opened !== undefined,
      opened === undefined ? "never seen open" : `open ${opened.at - outageFrom} ms into the outage`
    )
    checks.add(
      "the circuit closes after the outage",
      closedAgain !== undefined,
      closedAgain === undefined ? "never seen closed again" : `closed ${closedAgain.at - outageTo} ms after it`
    )

    // the replay: every dead letter back to the input; each event then succeeds
    const replay = await runHookstream(
      [
        "replay",
        "--brokers",
        ctx.brokers,
        "--dlq",
        ws.topics.dlq,
        "--input",
        ws.topics.input,
        "--name",
        `${ws.id}-replay`,
        "--json"
      ],
      join(ws.dir, "replay.log")
    )
    let published = -1
    try {
      published = Number((JSON.parse(replay.stdout) as { published?: number }).published ?? -1)
    } catch {
      // reported below
    }
    figures["replayed"] = published
    checks.add(
      "hookstream replay publishes every dead letter",
      replay.code === 0 && published === deadLettered.length,
      `exit ${replay.code}, published ${published} of ${deadLettered.length}`
    )
    await collector
      .waitForAll(ids, { timeoutMs: 120_000, done: (o) => o.succeeded })
      .catch((e: unknown) => ctx.log(`  ${String(e)}`))
    await waitForProcessorIdle(processor.metrics, 60_000)
    await collector.caughtUp()
    const t = tally(collector, ids)
    const notDone = ids.filter((id) => collector.events.get(id)?.succeeded !== true).length
    checks.add("after the replay every event succeeded", notDone === 0, `${notDone} without a succeeded result`)
    const counts = exactlyOnce(await pg.counts(), ids)
    checks.add(
      "postgresql holds exactly one row per event",
      counts.missing === 0 && counts.extra === 0,
      `missing ${counts.missing}, extra ${counts.extra} ${counts.sample.join(" ")}`
    )
    checks.add("processor still running", processor.running(), processor.running() ? "yes" : "exited")
    const stop = await processor.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))
    return scenarioResult(
      t,
      checks,
      started,
      `sink refused ${round((outageTo - outageFrom) / 1_000)} s: ${deadLettered.length} dead letters (${retried.length} retried ` +
        `up to ${Math.max(0, ...retried.map((r) => r.attempts))}×, ${figures["circuit_open_refusals"]} ended circuit_open); circuit open +${figures["circuit_opened_after_ms"]} ms, closed ` +
        `+${figures["circuit_closed_after_ms"]} ms after; replay ${published} → all ${ids.length} succeeded, 1 row each`,
      figures
    )
  } finally {
    sampling = false
    await sampler
    await processor.kill("SIGKILL")
    await collector.stop()
    await proxy.close()
    await ws.close()
    await pg.close()
  }
}
