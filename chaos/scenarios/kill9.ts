/**
 * kill9: SIGKILL the processor at random moments while it works through a backlog, restart
 * it each time (same instance id, so an exactly-once restart fences its predecessor).
 * Every event's chain writes to PostgreSQL (json mode) and NATS JetStream in parallel.
 *
 * Required: lost = 0 (every event has a result or dead-letter record, read back by event
 * id); the idempotent sinks hold exactly one effect per event; with `--exactly-once`, a
 * read_committed reader sees no duplicate outcome. Duplicates are reported either way.
 */
import { randomInt } from "node:crypto"
import { waitFor } from "../../test/support/waitFor.ts"
import { waitForGroupCommitted } from "../harness/kafkaState.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { type HookstreamProcess, startProcessor } from "../harness/processes.ts"
import { produceEvents } from "../harness/produce.ts"
import { exactlyOnce, natsSink, postgresSink } from "../harness/sinks.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const PARTITIONS = 6

export const kill9 = async (
  ctx: ChaosContext,
  size: Sizes["kill9"],
  options: { readonly exactlyOnce: boolean; readonly name?: string } = { exactlyOnce: false }
): Promise<ScenarioResult> => {
  const started = Date.now()
  const name = options.name ?? (options.exactlyOnce ? "kill9_exactly_once" : "kill9")
  const checks = new Checks()
  const table = `${ctx.runId}_${name}`.toLowerCase().replace(/[^a-z0-9_]/g, "_")
  const pg = await postgresSink(table)
  const nats = await natsSink(table)
  const ws = await makeWorkspace(ctx, name, {
    partitions: PARTITIONS,
    connections: {
      db: { type: "postgresql", connection_string: pg.address.url, pool_size: 16, max_in_flight: 64 },
      bus: { type: "nats", servers: nats.url, max_in_flight: 256 }
    },
    streams: {
      orders: {
        id: "orders",
        execution: "parallel",
        timeout: "60s",
        chain: [
          { module: "postgresql", id: "store", connection: "db", config: { table, storage_mode: "json" } },
          { module: "nats", id: "publish", connection: "bus", config: { subject: nats.subject } }
        ]
      }
    }
  })
  const ids = Array.from({ length: size.events }, (_, i) => `${name}-${i}`)
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics)
  const processes: Array<HookstreamProcess> = []
  const figures: Record<string, number | string | boolean> = {}
  try {
    const t0 = Date.now()
    await produceEvents(ctx.kafka, ws.topics.input, size.events, (i) => ({
      webhookId: "orders",
      id: ids[i] as string,
      payload: { order_id: i, customer: { id: `c${i % 1_000}` }, amount: (i % 500) + 0.5 }
    }))
    figures["produce_s"] = round((Date.now() - t0) / 1_000)
    ctx.log(`  produced ${size.events} events in ${figures["produce_s"]} s`)

    const start = (n: number) => {
      const p = startProcessor(ws, {
        brokers: ctx.brokers,
        label: `${name}#${n}`,
        exactlyOnce: options.exactlyOnce,
        instanceId: `${name}-instance`,
        sessionTimeout: "6s",
        verbose: ctx.verbose
      })
      processes.push(p)
      return p
    }
    let current = start(0)
    const processingStarted = Date.now()

    // kill moments: random points of progress (outcomes read back), each a random few hundred ms later
    // (one per stratum of the run, so the kills spread over it and each restart gets to work)
    const marks = Array.from({ length: size.kills }, (_, k) => 0.03 + ((k + Math.random()) / size.kills) * 0.9)
    const killedAt: Array<number> = []
    for (const [k, mark] of marks.entries()) {
      const target = Math.floor(mark * size.events)
      await waitFor(() => collector.events.size >= target, {
        timeoutMs: 600_000,
        intervalMs: 20,
        description: () => `${target} events with an outcome before kill ${k + 1} (have ${collector.events.size})`
      })
      await current.ready()
      await new Promise((resolve) => setTimeout(resolve, randomInt(0, 400)))
      killedAt.push(collector.events.size)
      const exit = await current.kill("SIGKILL")
      if (exit.signal !== "SIGKILL") checks.add(`kill ${k + 1} landed`, false, `exited ${JSON.stringify(exit)} first`)
      current = start(k + 1)
    }
    figures["kills"] = killedAt.length
    figures["killed_at_outcomes"] = killedAt.join(",")
    ctx.log(`  ${killedAt.length} SIGKILLs at ${killedAt.join(", ")} events done`)

    await collector.waitForAll(ids, { timeoutMs: 900_000 })
    figures["processing_s"] = round((Date.now() - processingStarted) / 1_000)
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 120_000)
    await collector.caughtUp()
    const t = tally(collector, ids)

    // the last restart may still be starting (a kill can land after the last outcome): a process
    // that has not installed its signal handlers yet would die of SIGTERM's default action
    await current.ready()
    const stop = await current.kill("SIGTERM")
    checks.add("last processor stops cleanly on SIGTERM", stop.code === 0, `exit ${JSON.stringify(stop)}`)
    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome ${t.lostSample.join(",")}`)
    const notSucceeded = ids.filter((id) => collector.events.get(id)?.succeeded !== true).length
    checks.add("every chain succeeded (no dead letter needed)", notSucceeded === 0, `${notSucceeded} not succeeded`)
    if (options.exactlyOnce) {
      checks.add("exactly-once: 0 duplicate outcomes (read_committed)", t.duplicates === 0, `${t.duplicates}`)
    }
    const pgCounts = exactlyOnce(await pg.counts(), ids)
    checks.add(
      "postgresql holds exactly one row per event",
      pgCounts.missing === 0 && pgCounts.extra === 0,
      `missing ${pgCounts.missing}, extra ${pgCounts.extra} ${pgCounts.sample.join(" ")}`
    )
    const natsCounts = exactlyOnce(await nats.counts(), ids)
    checks.add(
      "nats JetStream holds exactly one message per event",
      natsCounts.missing === 0 && natsCounts.extra === 0,
      `missing ${natsCounts.missing}, extra ${natsCounts.extra} ${natsCounts.sample.join(" ")}`
    )
    figures["pg_rows"] = await pg.rows()
    figures["nats_messages"] = await nats.messages()
    figures["events_per_s"] = round(size.events / Number(figures["processing_s"]))
    return scenarioResult(
      t,
      checks,
      started,
      `${killedAt.length} SIGKILLs; ${options.exactlyOnce ? "--exactly-once, read_committed reader" : "at-least-once"}; ` +
        `postgresql ${figures["pg_rows"]} rows, nats ${figures["nats_messages"]} msgs (1 per event); ${figures["processing_s"]} s processing`,
      figures
    )
  } finally {
    for (const p of processes) await p.kill("SIGKILL")
    await collector.stop()
    await ws.close()
    await pg.close()
    await nats.close()
  }
}
