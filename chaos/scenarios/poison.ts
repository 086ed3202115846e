/**
 * poison: fuzzed bad records (chaos/harness/poisonRecords.ts: random bytes, wrong types, deep
 * nesting, huge values, unknown webhook ids) shuffled among good events, over three
 * partitions. Each input record is followed by where it landed (partition:offset) and every
 * outcome record names its source, so the check is per record. Required: the processor never
 * crashes (one process from start to end, clean exit on SIGTERM); every bad record is in the
 * DLQ with the reason its kind calls for and an error message, never ran a chain, and (when
 * it did not decode) keeps its exact bytes for replay; every good event succeeded, with one
 * PostgreSQL row each.
 */
import { createHash, randomInt } from "node:crypto"
import { SOURCE_OFFSET, SOURCE_PARTITION } from "../../src/domain/KafkaHeaders.ts"
import { waitFor } from "../../test/support/waitFor.ts"
import { waitForGroupCommitted } from "../harness/kafkaState.ts"
import { metricSum } from "../harness/metrics.ts"
import { startOutcomeCollector } from "../harness/outcomes.ts"
import { type PoisonRecord, poisonRecords } from "../harness/poisonRecords.ts"
import { startProcessor } from "../harness/processes.ts"
import { type PlacedRecord, produceRecords } from "../harness/produce.ts"
import { exactlyOnce, postgresSink } from "../harness/sinks.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, round, type ScenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const PARTITIONS = 3
const MAX_PAYLOAD = 65_536
const sha1 = (b: Buffer) => createHash("sha1").update(b).digest("hex")

interface Seen {
  results: number
  dlq: number
  reason: string | undefined
  status: string | undefined
  errorMessage: string | undefined
  rawSha1: string | undefined
  /** the dead letter was kept without its event (over the DLQ topic's record limit) */
  omitted: boolean
}

type Planned = PlacedRecord & ({ readonly good: string } | { readonly bad: PoisonRecord })

/** a small seeded generator for the shuffle and placement (fast-check's seed drives the records) */
const rng = (seed: number) => {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4_294_967_296
  }
}

export const poison = async (ctx: ChaosContext, size: Sizes["poison"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const seed = Number(process.env["CHAOS_SEED"] ?? randomInt(1, 2 ** 31 - 1))
  figures["seed"] = seed
  const table = `${ctx.runId}_poison`.toLowerCase().replace(/[^a-z0-9_]/g, "_")
  const pg = await postgresSink(table)
  const ws = await makeWorkspace(ctx, "poison", {
    partitions: PARTITIONS,
    connections: { db: { type: "postgresql", connection_string: pg.address.url, pool_size: 8 } },
    streams: {
      good: {
        id: "good",
        max_payload_size: MAX_PAYLOAD,
        chain: [{ module: "postgresql", id: "store", connection: "db", config: { table, storage_mode: "json" } }]
      }
    }
  })

  const bad = poisonRecords(size.bad, seed, "good", MAX_PAYLOAD)
  const random = rng(seed)
  const goodIds = Array.from({ length: size.good }, (_, i) => `poison-good-${i}`)
  const planned: Array<Planned> = [
    ...goodIds.map((id, i) => ({
      good: id,
      value: Buffer.from(JSON.stringify({ webhook_id: "good", id, payload: { order_id: i, note: "fine" } })),
      key: `k${i % 50}`,
      partition: 0
    })),
    ...bad.map((b) => ({ bad: b, value: b.value, key: null, partition: 0 }))
  ]
  for (let i = planned.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const a = planned[i] as Planned
    planned[i] = planned[j] as Planned
    planned[j] = { ...a, partition: Math.floor(random() * PARTITIONS) }
  }
  for (const c of ["random_bytes", "wrong_types", "deep_nesting", "huge", "unknown_ids"] as const)
    figures[`bad_${c}`] = bad.filter((b) => b.category === c).length

  const seen = new Map<string, Seen>()
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics, {
    onRecord: (r) => {
      const pos = `${r.headers[SOURCE_PARTITION]}:${r.headers[SOURCE_OFFSET]}`
      let s = seen.get(pos)
      if (s === undefined) {
        s = {
          results: 0,
          dlq: 0,
          reason: undefined,
          status: undefined,
          errorMessage: undefined,
          rawSha1: undefined,
          omitted: false
        }
        seen.set(pos, s)
      }
      if (r.kind === "result") {
        s.results++
        s.status = String(r.value["status"])
      } else {
        s.dlq++
        s.reason = String(r.value["reason"])
        const error = r.value["error"] as { message?: unknown } | undefined
        s.errorMessage = typeof error?.message === "string" ? error.message : undefined
        const event = r.value["event"] as { raw?: unknown } | undefined
        if (typeof event?.raw === "string") s.rawSha1 = sha1(Buffer.from(event.raw, "base64"))
        s.omitted = r.value["event_omitted"] !== undefined
      }
    }
  })
  const processor = startProcessor(ws, { brokers: ctx.brokers, label: "poison", verbose: ctx.verbose })
  try {
    await processor.ready({ partitions: true })
    const t0 = Date.now()
    const positions = await produceRecords(ctx.kafka, ws.topics.input, planned)
    figures["produce_s"] = round((Date.now() - t0) / 1_000)
    ctx.log(`  produced ${planned.length} records (${size.bad} bad, seed ${seed}) in ${figures["produce_s"]} s`)
    await waitFor(() => positions.every((p) => seen.has(p)), {
      timeoutMs: 300_000,
      intervalMs: 250,
      description: () => `an outcome for every record (${positions.filter((p) => !seen.has(p)).length} missing)`
    }).catch((e: unknown) => ctx.log(`  ${String(e)}`))
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 60_000).catch((e: unknown) =>
      ctx.log(`  ${String(e)}`)
    )
    await collector.caughtUp()

    let lost = 0
    let duplicates = 0
    let outcomes = 0
    let omitted = 0
    const wrong = new Map<string, Array<string>>()
    const note = (what: string, example: string) => wrong.set(what, [...(wrong.get(what) ?? []), example])
    for (const [i, p] of planned.entries()) {
      const pos = positions[i] as string
      const s = seen.get(pos)
      if (s === undefined) {
        lost++
        note("lost", "good" in p ? p.good : `${p.bad.category}@${pos}`)
        continue
      }
      outcomes += s.results + s.dlq
      duplicates += Math.max(0, Math.max(s.results, s.dlq) - 1)
      if ("good" in p) {
        if (s.status !== "succeeded" || s.dlq > 0) note("good not succeeded", `${p.good}: ${s.status}/${s.reason}`)
        continue
      }
      const b = p.bad
      if (s.reason !== b.expected) note(`${b.category}: reason`, `${pos} got ${s.reason}, want ${b.expected}`)
      if (s.results > 0) note(`${b.category}: ran a chain`, pos)
      if (s.errorMessage === undefined || s.errorMessage === "") note(`${b.category}: no error message`, pos)
      if (s.omitted) omitted++
      else if (b.expected === "invalid_event" && s.rawSha1 !== sha1(b.value ?? Buffer.alloc(0)))
        note(`${b.category}: bytes not kept`, pos)
      if (s.omitted && (b.value?.length ?? 0) < 600_000) note(`${b.category}: event omitted though small`, pos)
    }
    checks.add(
      "lost = 0",
      lost === 0,
      `${lost} of ${planned.length} records without outcome ${(wrong.get("lost") ?? []).slice(0, 5).join(",")}`
    )
    const badProblems = [...wrong].filter(([k]) => k !== "lost" && k !== "good not succeeded")
    figures["dead_letters_without_event"] = omitted
    checks.add(
      "every bad record dead-lettered with its reason and an error, no chain run, bytes kept (or, over the record limit, omitted)",
      badProblems.length === 0,
      badProblems.length === 0
        ? `${size.bad} of ${size.bad}`
        : badProblems.map(([k, v]) => `${k} ×${v.length} (${v.slice(0, 2).join("; ")})`).join(" | ")
    )
    const goodProblems = wrong.get("good not succeeded") ?? []
    checks.add(
      "every good event succeeded",
      goodProblems.length === 0,
      `${goodProblems.length} not ${goodProblems.slice(0, 3).join("; ")}`
    )
    const counts = exactlyOnce(await pg.counts(), goodIds)
    checks.add(
      "postgresql holds exactly one row per good event",
      counts.missing === 0 && counts.extra === 0,
      `missing ${counts.missing}, extra ${counts.extra} ${counts.sample.join(" ")}`
    )
    const m = await processor.metrics().catch(() => new Map<string, number>())
    figures["publish_failures"] = metricSum(m, "hookstream_outcome_publish_failures_total")
    checks.add("no crash: the same process throughout", processor.running(), `pid ${processor.pid}`)
    const stop = await processor.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))
    return {
      events: planned.length,
      outcomes,
      lost,
      duplicates,
      passed: checks.passed,
      notes:
        `${size.bad} fuzzed (seed ${seed}: ${figures["bad_random_bytes"]} bytes, ${figures["bad_wrong_types"]} types, ` +
        `${figures["bad_deep_nesting"]} deep, ${figures["bad_huge"]} huge, ${figures["bad_unknown_ids"]} unknown) + ${size.good} good; no crash; ${omitted} dead letters over 1 MB kept without their event`,
      seconds: round((Date.now() - started) / 1_000),
      checks: checks.list,
      figures
    }
  } finally {
    await processor.kill("SIGKILL")
    await collector.stop()
    await ws.close()
    await pg.close()
  }
}
