/**
 * fail_fast: a parallel chain with continue_on_error: false and max_parallel 3. The first
 * module is rejected at once (HTTP 400, answered as soon as both slow siblings' requests have
 * reached the server, so they are surely in flight); its siblings are slow HTTP calls; two
 * more modules wait for a free slot. Seen from the test server, per event: both sibling
 * requests are aborted (their connections close) within 100 ms of the 400, and no request
 * of the event arrives after it (the waiting modules never start). The result record says
 * failed / interrupted / skipped, and the event is dead-lettered as chain_failed.
 */
import { eventIdOf, type SeenRequest, startScriptedServer } from "../harness/httpServers.ts"
import { waitForGroupCommitted } from "../harness/kafkaState.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { startProcessor } from "../harness/processes.ts"
import { produceEvents } from "../harness/produce.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const ABORT_BOUND_MS = 100

export const failFast = async (ctx: ChaosContext, size: Sizes["fail_fast"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const server = await startScriptedServer()
  const arrived = (id: string, path: string) => server.requests.some((r) => r.path === path && eventIdOf(r) === id)
  server.on("/reject", {
    type: "when",
    status: 400,
    when: (r) => {
      const id = eventIdOf(r)
      return arrived(id, "/slow-a") && arrived(id, "/slow-b")
    },
    maxWaitMs: 5_000
  })
  server.on("/slow-a", { type: "status", status: 200, delayMs: size.slowMs })
  server.on("/slow-b", { type: "status", status: 200, delayMs: size.slowMs })
  server.on("/later-c", { type: "status", status: 200 })
  server.on("/later-d", { type: "status", status: 200 })

  const step = (id: string) => ({
    module: "http",
    id,
    connection: "web",
    config: { url: server.url(`/${id}`), allowed_hosts: ["127.0.0.1"] },
    retry: { max_attempts: 1 }
  })
  const ws = await makeWorkspace(ctx, "fail_fast", {
    partitions: 3,
    connections: { web: { type: "http", max_in_flight: 1_000 } },
    streams: {
      fanout: {
        id: "fanout",
        execution: "parallel",
        continue_on_error: false,
        max_parallel: 3,
        timeout: "60s",
        chain: ["reject", "slow-a", "slow-b", "later-c", "later-d"].map(step)
      }
    }
  })
  const modulesOf = new Map<string, ReadonlyArray<{ id: string; status: string }>>()
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics, {
    onRecord: (r) => {
      if (r.kind === "result" && Array.isArray(r.value["modules"]))
        modulesOf.set(r.key, r.value["modules"] as ReadonlyArray<{ id: string; status: string }>)
    }
  })
  const processor = startProcessor(ws, { brokers: ctx.brokers, label: "fail_fast", verbose: ctx.verbose })
  try {
    await processor.ready({ partitions: true })
    const ids = Array.from({ length: size.events }, (_, i) => `fail_fast-${i}`)
    await produceEvents(
      ctx.kafka,
      ws.topics.input,
      size.events,
      (i) => ({ webhookId: "fanout", id: ids[i] as string, payload: { i } }),
      { keys: size.events }
    )
    await collector.waitForAll(ids, { timeoutMs: 60_000 })
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 60_000)
    await collector.caughtUp()
    const t = tally(collector, ids)
    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome`)

    const byEvent = new Map<string, Array<SeenRequest>>()
    for (const r of server.requests) byEvent.set(eventIdOf(r), [...(byEvent.get(eventIdOf(r)) ?? []), r])
    const abortMs: Array<number> = []
    const problems: Array<string> = []
    for (const id of ids) {
      const reqs = byEvent.get(id) ?? []
      const reject = reqs.find((r) => r.path === "/reject")
      const failedAt = reject?.answeredAt
      if (failedAt === undefined) {
        problems.push(`${id}: no 400 sent`)
        continue
      }
      for (const path of ["/slow-a", "/slow-b"]) {
        const sibling = reqs.find((r) => r.path === path)
        if (sibling === undefined) problems.push(`${id}: ${path} never arrived`)
        else if (sibling.closedEarlyAt === undefined) problems.push(`${id}: ${path} not aborted`)
        else abortMs.push(sibling.closedEarlyAt - failedAt)
      }
      const late = reqs.filter((r) => r.arrivedAt > failedAt || r.path.startsWith("/later"))
      if (late.length > 0) problems.push(`${id}: ${late.map((r) => r.path).join(",")} started after the failure`)
      const statuses = Object.fromEntries((modulesOf.get(id) ?? []).map((m) => [m.id, m.status]))
      const want = {
        reject: "failed",
        "slow-a": "interrupted",
        "slow-b": "interrupted",
        "later-c": "skipped",
        "later-d": "skipped"
      }
      if (JSON.stringify(statuses) !== JSON.stringify(want)) problems.push(`${id}: modules ${JSON.stringify(statuses)}`)
      if (collector.events.get(id)?.reason !== "chain_failed") problems.push(`${id}: not dead-lettered as chain_failed`)
    }
    const worst = abortMs.length === 0 ? Number.NaN : Math.max(...abortMs)
    const sorted = [...abortMs].sort((a, b) => a - b)
    figures["abort_max_ms"] = round(worst)
    figures["abort_p50_ms"] = round(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN)
    checks.add(
      `sibling requests aborted within ${ABORT_BOUND_MS} ms of the failure (server-side)`,
      abortMs.length === ids.length * 2 && worst <= ABORT_BOUND_MS,
      `${abortMs.length} aborts, max ${round(worst)} ms, p50 ${figures["abort_p50_ms"]} ms`
    )
    checks.add(
      "no module starts after the failure; statuses failed/interrupted/skipped; DLQ chain_failed",
      problems.length === 0,
      problems.length === 0 ? "every event" : `${problems.length} problems: ${problems.slice(0, 3).join("; ")}`
    )
    const stop = await processor.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))
    return scenarioResult(
      t,
      checks,
      started,
      `siblings aborted ${figures["abort_p50_ms"]} ms (p50) / ${figures["abort_max_ms"]} ms (max) after the 400; 0 later starts`,
      figures
    )
  } finally {
    await processor.kill("SIGKILL")
    await collector.stop()
    await server.close()
    await ws.close()
  }
}
