/**
 * broker_restart: the processor works through a backlog (PostgreSQL sink) on a broker of the
 * scenario's own; a third of the way in, the broker is stopped (SIGTERM, it shuts down
 * cleanly), stays down for the outage, and is started again on the same port and data.
 * Required: the same processor process carries on by itself (no restart, no crash), every
 * event ends with an outcome (lost = 0), PostgreSQL holds one row per event; duplicates
 * reported. The run's shared broker is never touched.
 */
import { logLevel } from "kafkajs"
import { makeKafka } from "../../src/kafka/kafkaClient.ts"
import { startLocalKafka } from "../../src/kafka/local/startLocalKafka.ts"
import { waitFor } from "../../test/support/waitFor.ts"
import { waitForGroupCommitted } from "../harness/kafkaState.ts"
import { metricSum } from "../harness/metrics.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { startProcessor } from "../harness/processes.ts"
import { produceEvents } from "../harness/produce.ts"
import { exactlyOnce, postgresSink } from "../harness/sinks.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const readyz = async (opsUrl: string | undefined): Promise<number> => {
  if (opsUrl === undefined) return 0
  try {
    return (await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })).status
  } catch {
    return 0
  }
}

export const brokerRestart = async (ctx: ChaosContext, size: Sizes["broker_restart"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  // brokers: "" → a broker of our own even when KAFKA_BROKERS names the run's
  const broker = await startLocalKafka({ brokers: "" })
  const kafka = makeKafka({ brokers: [broker.brokers], clientId: "chaos-broker-restart", logLevel: logLevel.NOTHING })
  const table = `${ctx.runId}_broker_restart`.toLowerCase().replace(/[^a-z0-9_]/g, "_")
  const pg = await postgresSink(table)
  const ws = await makeWorkspace(ctx, "broker_restart", {
    kafka,
    partitions: 6,
    connections: { db: { type: "postgresql", connection_string: pg.address.url, pool_size: 16 } },
    streams: {
      orders: {
        id: "orders",
        timeout: "60s",
        chain: [{ module: "postgresql", id: "store", connection: "db", config: { table, storage_mode: "json" } }]
      }
    }
  })
  const processor = startProcessor(ws, { brokers: broker.brokers, label: "broker_restart", verbose: ctx.verbose })
  let collector: Awaited<ReturnType<typeof startOutcomeCollector>> | undefined
  try {
    const ids = Array.from({ length: size.events }, (_, i) => `broker_restart-${i}`)
    await produceEvents(kafka, ws.topics.input, size.events, (i) => ({
      webhookId: "orders",
      id: ids[i] as string,
      payload: { order_id: i }
    }))
    await processor.ready({ partitions: true })
    const chains = async () => metricSum(await processor.metrics(), "hookstream_chain_executions_total")
    const third = Math.floor(size.events / 3)
    await waitFor(async () => (await chains()) >= third, {
      timeoutMs: 300_000,
      intervalMs: 100,
      description: `a third of the events processed before the broker stops`
    })
    figures["chains_before_stop"] = await chains()

    const down = Date.now()
    await broker.pause()
    figures["stop_s"] = round((Date.now() - down) / 1_000)
    ctx.log(`  broker stopped (SIGTERM) after ${figures["chains_before_stop"]} chains; down for ${size.outageMs} ms`)
    // the outage itself is the fault: a fixed time with the broker gone
    const readiness = new Set<number>()
    const outageEnds = Date.now() + size.outageMs
    while (Date.now() < outageEnds) {
      readiness.add(await readyz(processor.opsUrl()))
      await sleep(500)
    }
    checks.add("the processor survives the outage", processor.running(), processor.running() ? "running" : "exited")
    const up = Date.now()
    await broker.resume()
    figures["outage_s"] = round((Date.now() - down) / 1_000)
    figures["restart_s"] = round((Date.now() - up) / 1_000)
    ctx.log(`  broker back after ${figures["outage_s"]} s`)

    collector = await startOutcomeCollector(kafka, ws.topics)
    const recovering = Date.now()
    await collector.waitForAll(ids, { timeoutMs: 300_000 })
    figures["recovery_s"] = round((Date.now() - recovering) / 1_000)
    await waitForGroupCommitted(kafka, ws.group, ws.topics.input, 120_000)
    await collector.caughtUp()
    const t = tally(collector, ids)
    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome ${t.lostSample.join(",")}`)
    const notSucceeded = ids.filter((id) => collector?.events.get(id)?.succeeded !== true).length
    checks.add("every chain succeeded", notSucceeded === 0, `${notSucceeded} not succeeded`)
    checks.add(
      "recovered by itself: the same process, never restarted",
      processor.running(),
      `pid ${processor.pid} ${processor.running() ? "running" : "exited"}`
    )
    checks.add("ready again after the outage", (await readyz(processor.opsUrl())) === 200, "/readyz")
    figures["readyz_during_outage"] = [...readiness].join(",")
    const pgCounts = exactlyOnce(await pg.counts(), ids)
    checks.add(
      "postgresql holds exactly one row per event",
      pgCounts.missing === 0 && pgCounts.extra === 0,
      `missing ${pgCounts.missing}, extra ${pgCounts.extra} ${pgCounts.sample.join(" ")}`
    )
    const m = await processor.metrics()
    figures["publish_failures"] = metricSum(m, "hookstream_outcome_publish_failures_total")
    figures["commit_failures"] = metricSum(m, "hookstream_offset_commit_failures_total")
    const stop = await processor.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))
    return scenarioResult(
      t,
      checks,
      started,
      `broker down ${figures["outage_s"]} s (SIGTERM at ${figures["chains_before_stop"]} chains); same process recovered, ` +
        `all done ${figures["recovery_s"]} s after restart; ${figures["publish_failures"]} publish / ${figures["commit_failures"]} commit retries`,
      figures
    )
  } finally {
    await processor.kill("SIGKILL")
    await collector?.stop()
    await ws.close()
    await pg.close()
    await broker.stop()
  }
}
