/**
 * Replay against a real broker: the processor running in-process with a sink that is down
 * and comes back, dry runs and filters on dead letters built by the processor's own record
 * builders, and --max-replays stopping an event that keeps failing.
 */

import { Effect, Fiber, Stream } from "effect"
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import type { DlqFilter } from "../../../src/dlq/DlqFilter.ts"
import { destinationError } from "../../../src/domain/DestinationError.ts"
import { idempotencyKey } from "../../../src/domain/IdempotencyKey.ts"
import { producerClients } from "../../../src/kafka/producer/ProducerDriver.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import { type ReplayOptions, replay, replayUpdates } from "../../../src/replay/Replay.ts"
import { consumeRecords, uniqueName, withAdmin } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, plan, type Running, runProcessor, testKafkaClient } from "../processor/harness.ts"
import { freshDlqTopics, H, header, type Letter, produceLetters } from "./dlqFixtures.ts"

const running: Array<Running> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})

const kafka = testKafkaClient()
const run = (options: ReplayOptions) => Effect.runPromise(replay(kafka, options))

const endOffsets = (topic: string) =>
  withAdmin(kafka, async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0))

interface Call {
  readonly eventId: string
  readonly module: string
  readonly idempotencyKey: string
  readonly down: boolean
}

/** Records every delivery attempt; `notify` fails as unreachable while `state.down`. */
const flakySink = (calls: Array<Call>, state: { down: boolean }, failing = "notify"): Destination => ({
  send: (d) =>
    Effect.suspend(() => {
      calls.push({ eventId: d.eventId, module: d.moduleId, idempotencyKey: d.idempotencyKey, down: state.down })
      return state.down && d.moduleId === failing
        ? Effect.fail(destinationError("unreachable", "sink is down"))
        : Effect.succeed({})
    })
})

const produceEvents = async (topic: string, events: ReadonlyArray<{ key: string; value: object }>) => {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true })
  await producer.connect()
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: events.map((e) => ({ key: e.key, value: JSON.stringify(e.value) }))
    })
  } finally {
    await producer.disconnect()
  }
}

const json = (value: string | null) => JSON.parse(value ?? "null")

describe("replay with the processor", () => {
  it("sink down → dead letters; sink back → replay → results succeed, and modules that succeeded are not called again", async () => {
    const topics = await freshTopics(kafka, 3)
    const calls: Array<Call> = []
    const state = { down: true }
    running.push(await runProcessor(topics, [plan("orders", ["store", "notify"])], flakySink(calls, state)))
    // half the envelopes name themselves, half get ids derived from their input offset
    const events = Array.from({ length: 30 }, (_, seq) => ({
      key: `customer-${seq % 5}`,
      value: { webhook_id: "orders", payload: { seq }, ...(seq % 2 === 0 ? { id: `order-${seq}` } : {}) }
    }))
    await produceEvents(topics.input, events)
    const dead = await consumeRecords(kafka, { topic: topics.dlq, count: 30 })
    expect(dead).toHaveLength(30)
    const original = new Map(dead.map((r) => [json(r.value).event_id as string, r]))
    expect(original.size).toBe(30)
    expect(dead.every((r) => json(r.value).failed_modules.join() === "notify")).toBe(true)
    expect(calls.filter((c) => c.module === "store")).toHaveLength(30)

    state.down = false
    const summary = await run({ dlqTopic: topics.dlq, inputTopic: topics.input, name: uniqueName("fix") })
    expect(summary).toMatchObject({ complete: true, matched: 30, published: 30, tooManyReplays: 0, undecodable: 0 })

    const results = await consumeRecords(kafka, { topic: topics.results, count: 60, timeoutMs: 30_000 })
    const replayed = results.map((r) => ({ ...json(r.value), key: r.key })).filter((r) => r.replay_count === 1)
    expect(replayed).toHaveLength(30)
    expect(replayed.every((r) => r.status === "succeeded")).toBe(true)
    // the same event ids (derived ones included), each once, with only the failed module run
    expect(new Set(replayed.map((r) => r.event_id))).toEqual(new Set(original.keys()))
    expect(replayed.every((r) => r.modules.map((m: { id: string }) => m.id).join() === "notify")).toBe(true)
    for (const r of replayed) expect(r.key).toBe(original.get(r.event_id)?.key)

    const after = calls.filter((c) => !c.down)
    expect(after.filter((c) => c.module === "store")).toEqual([])
    // a replay keeps the keys: `<webhook_id>:<event_id>:<module id>`
    expect(after.map((c) => c.idempotencyKey).sort()).toEqual(
      [...original.keys()].map((id) => idempotencyKey("orders", id, "notify")).sort()
    )
    // nothing failed again
    expect(await endOffsets(topics.dlq)).toBe(30)
  })

  it("--max-replays stops an event that keeps failing from looping", async () => {
    const topics = await freshTopics(kafka, 1)
    const calls: Array<Call> = []
    running.push(await runProcessor(topics, [plan("loop", ["a", "b"])], flakySink(calls, { down: true }, "b")))
    await produceEvents(topics.input, [{ key: "k", value: { webhook_id: "loop", id: "stubborn", payload: {} } }])
    await waitFor(async () => (await endOffsets(topics.dlq)) === 1)
    const name = uniqueName("loop")
    const options = { dlqTopic: topics.dlq, inputTopic: topics.input, name, maxReplays: 2 }

    const first = await run(options)
    expect(first).toMatchObject({ published: 1, tooManyReplays: 0 })
    await waitFor(async () => (await endOffsets(topics.dlq)) === 2)
    const second = await run(options)
    expect(second).toMatchObject({ published: 1, tooManyReplays: 0, resumed: true })
    await waitFor(async () => (await endOffsets(topics.dlq)) === 3)
    const third = await run(options)
    expect(third).toMatchObject({ published: 0, tooManyReplays: 1, matched: 1 })
    expect(third.skipped).toEqual([{ coordinate: `${topics.dlq}:0:2`, eventId: "stubborn", replayCount: 2 }])
    const fourth = await run(options)
    expect(fourth).toMatchObject({ published: 0, tooManyReplays: 0, scanned: 0, total: 0 })

    const dead = await consumeRecords(kafka, { topic: topics.dlq, count: 3 })
    expect(dead.map((r) => json(r.value).replay_count)).toEqual([0, 1, 2])
    expect(await endOffsets(topics.dlq)).toBe(3)
    // a ran once (first delivery), b once per delivery: 1 + 2 replays
    expect(calls.filter((c) => c.module === "a")).toHaveLength(1)
    expect(calls.filter((c) => c.module === "b")).toHaveLength(3)
  })
})

describe("replay filters and dry run", () => {
  const t0 = Date.parse("2026-01-31T12:00:00.000Z")
  const letters: ReadonlyArray<Letter> = Array.from({ length: 24 }, (_, seq) => ({
    seq,
    webhook: seq % 3 === 0 ? "orders" : seq % 3 === 1 ? "audit" : "billing",
    reason: seq % 4 === 3 ? "timed_out" : seq % 8 === 5 ? "unknown_webhook" : "chain_failed",
    key: `k${seq % 4}`,
    failed: seq % 2 === 0 ? ["crm"] : ["mail", "crm"],
    succeeded: ["store"],
    replayCount: seq % 5 === 4 ? 3 : 0,
    failedAt: t0 + seq * 1_000,
    ...(seq % 2 === 0 ? { id: `evt-${seq}` } : {})
  }))
  const chainReasons = new Set(["chain_failed", "timed_out"])
  const failedOf = (l: Letter) => (chainReasons.has(l.reason) ? (l.failed ?? []) : [])

  const cases: ReadonlyArray<{
    readonly name: string
    readonly filter: DlqFilter
    readonly expect: (l: Letter) => boolean
  }> = [
    { name: "webhook", filter: { webhooks: ["orders"] }, expect: (l) => l.webhook === "orders" },
    { name: "reason", filter: { reasons: ["timed_out"] }, expect: (l) => l.reason === "timed_out" },
    { name: "module", filter: { modules: ["mail"] }, expect: (l) => failedOf(l).includes("mail") },
    { name: "key", filter: { keys: ["k1", "k2"] }, expect: (l) => l.key === "k1" || l.key === "k2" },
    {
      name: "time",
      filter: { since: t0 + 5_000, until: t0 + 10_000 },
      expect: (l) => l.failedAt >= t0 + 5_000 && l.failedAt < t0 + 10_000
    },
    { name: "from-offset", filter: { fromOffsets: [{ offset: 15n }] }, expect: (l) => l.seq >= 15 },
    {
      name: "combined",
      filter: { webhooks: ["orders", "audit"], modules: ["crm"], since: t0 + 2_000 },
      expect: (l) => (l.webhook === "orders" || l.webhook === "audit") && failedOf(l).includes("crm") && l.seq >= 2
    }
  ]

  it("a dry run selects exactly the matching records for each filter and publishes nothing", async () => {
    const topics = await freshTopics(kafka, 2)
    await produceLetters(kafka, topics.dlq, topics.input, letters)
    for (const c of cases) {
      const summary = await run({
        dlqTopic: topics.dlq,
        inputTopic: topics.input,
        filter: c.filter,
        dryRun: true,
        sampleSize: 100
      })
      const expected = letters.filter(c.expect).map((l) => String(l.seq))
      expect(
        summary.sample.map((e) => e.coordinate.offset),
        c.name
      ).toEqual(expected)
      expect(summary.matched, c.name).toBe(expected.length)
      expect(summary.published, c.name).toBe(0)
    }
    const withMax = await run({ dlqTopic: topics.dlq, inputTopic: topics.input, dryRun: true, maxReplays: 3 })
    expect(withMax.tooManyReplays).toBe(letters.filter((l) => (l.replayCount ?? 0) >= 3).length)
    // a dry run of a named replay records no position either
    await run({ dlqTopic: topics.dlq, inputTopic: topics.input, dryRun: true, name: "dry" })
    expect(await endOffsets(topics.input)).toBe(0)
    const groups = await withAdmin(kafka, (admin) => admin.listGroups())
    expect(groups.groups.map((g) => g.groupId)).not.toContain("hookstream-replay-dry")
  })

  // unnamed replays write with the chosen client (named ones carry their position: KafkaJS transactions)
  it.each(producerClients)(
    "publishes exactly the selected records: original key and envelope (id kept), failed modules only, replay count + 1, trace headers (%s producer)",
    async (producerClient) => {
      const topics = await freshTopics(kafka, 2)
      await produceLetters(kafka, topics.dlq, topics.input, letters)
      const filter = cases.find((c) => c.name === "combined")
      if (filter === undefined) throw new Error("no combined case")
      const expected = letters.filter(filter.expect)
      const summary = await run({
        dlqTopic: topics.dlq,
        inputTopic: topics.input,
        filter: filter.filter,
        producerClient
      })
      expect(summary.published).toBe(expected.length)
      const published = await consumeRecords(kafka, { topic: topics.input, count: expected.length })
      expect(published).toHaveLength(expected.length)
      const bySource = new Map(published.map((r) => [header(r.headers, H.REPLAY_OF), r]))
      for (const l of expected) {
        const r = bySource.get(`${topics.dlq}:0:${l.seq}`)
        expect(r, `letter ${l.seq}`).toBeDefined()
        if (r === undefined) continue
        expect(r.key).toBe(l.key)
        expect(json(r.value)).toEqual({
          webhook_id: l.webhook,
          payload: { seq: l.seq },
          id: l.id ?? `${topics.input}-0-${1000 + l.seq}`
        })
        expect(header(r.headers, H.REPLAY_COUNT)).toBe(String((l.replayCount ?? 0) + 1))
        expect(header(r.headers, H.ONLY_MODULES)).toBe(failedOf(l).join(","))
        expect(header(r.headers, H.CORRELATION_ID)).toBe(`corr-${l.seq}`)
        expect(header(r.headers, H.TRACEPARENT)).toMatch(/^00-0+\d+-1{16}-01$/)
      }
      // --all-modules: no only-modules header
      const all = await run({
        dlqTopic: topics.dlq,
        inputTopic: topics.input,
        filter: { fromOffsets: [{ offset: 23n }] },
        allModules: true,
        producerClient
      })
      expect(all.published).toBe(1)
      const last = await consumeRecords(kafka, { topic: topics.input, count: expected.length + 1 })
      const replayedLast = last.find((r) => header(r.headers, H.REPLAY_OF) === `${topics.dlq}:0:23`)
      expect(replayedLast).toBeDefined()
      expect(header(replayedLast?.headers ?? {}, H.ONLY_MODULES)).toBeUndefined()
    }
  )
})

describe("--max-replays by event id", () => {
  const t0 = Date.parse("2026-02-01T00:00:00.000Z")
  // three generations of "stubborn" (replayed twice), two of "twice-dead", one of "fresh",
  // on different keys so they spread over the DLQ's partitions
  const letters: ReadonlyArray<Letter> = [
    { id: "stubborn", replayCount: 0, seq: 0, failedAt: t0 },
    { id: "twice-dead", replayCount: 0, seq: 1, failedAt: t0 + 1_000 },
    { id: "stubborn", replayCount: 1, seq: 2, failedAt: t0 + 60_000 },
    { id: "fresh", replayCount: 0, seq: 3, failedAt: t0 + 61_000 },
    { id: "twice-dead", replayCount: 1, seq: 4, failedAt: t0 + 62_000 },
    { id: "stubborn", replayCount: 2, seq: 5, failedAt: t0 + 120_000 }
  ].map((l) => ({ ...l, webhook: "orders", reason: "chain_failed", key: `key-${l.seq}`, failed: ["crm"] }))

  it("skips an event replayed k times whichever of its dead letters is selected, and publishes an event once per run", async () => {
    const topics = await freshDlqTopics(kafka, 3)
    await produceLetters(kafka, topics.dlq, topics.input, letters)
    const options = { dlqTopic: topics.dlq, inputTopic: topics.input, maxReplays: 2 }
    // only stubborn's first dead letter is selected; its third generation (count 2) still counts
    const firstOnly = await run({ ...options, filter: { until: t0 + 500 } })
    expect(firstOnly).toMatchObject({ matched: 1, published: 0, tooManyReplays: 1 })
    expect(firstOnly.skipped).toEqual([expect.objectContaining({ eventId: "stubborn", replayCount: 2 })])

    const dry = await run({ ...options, dryRun: true })
    expect(dry).toMatchObject({ matched: 6, published: 0, tooManyReplays: 4 })
    const all = await run(options)
    // stubborn ×3 skipped; twice-dead once published (as its 2nd replay), its other dead letter then skipped; fresh once
    expect(all).toMatchObject({ matched: 6, published: 2, tooManyReplays: 4 })
    const published = await consumeRecords(kafka, { topic: topics.input, count: 2 })
    expect(published).toHaveLength(2)
    const counts = Object.fromEntries(published.map((r) => [json(r.value).id, header(r.headers, H.REPLAY_COUNT)]))
    expect(counts).toEqual({ "twice-dead": "2", fresh: "1" })
  })
})

describe("the replay as a Stream of updates (the console's view)", () => {
  it("emits progress, then the summary last; a failure fails the stream", async () => {
    const topics = await freshTopics(kafka, 1)
    const letters: ReadonlyArray<Letter> = Array.from({ length: 10 }, (_, seq) => ({
      seq,
      webhook: "orders",
      reason: "chain_failed",
      key: "k",
      failed: ["notify"],
      failedAt: Date.now()
    }))
    await produceLetters(kafka, topics.dlq, topics.input, letters)
    const updates = await Effect.runPromise(
      Stream.runCollect(replayUpdates(kafka, { dlqTopic: topics.dlq, inputTopic: topics.input, dryRun: true }))
    )
    expect(updates.at(-1)).toMatchObject({ _tag: "Done", summary: { matched: 10, published: 0, complete: true } })
    expect(updates.filter((u) => u._tag === "Progress").length).toBeGreaterThan(0)
    const failure = await Effect.runPromise(
      Effect.flip(
        Stream.runCollect(replayUpdates(kafka, { dlqTopic: `${topics.dlq}-missing`, inputTopic: topics.input }))
      )
    )
    expect(failure).toMatchObject({ _tag: "ReplayError", message: `topic does not exist: ${topics.dlq}-missing` })
  })
})

describe("resuming across DLQ partitions", () => {
  it("interrupted in-process (as the console would) and run again: each dead letter once, positions per partition", async () => {
    const base = uniqueName("multi")
    const topics = { input: `${base}.in`, dlq: `${base}.dlq` }
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: topics.input, numPartitions: 2, replicationFactor: 1 },
          { topic: topics.dlq, numPartitions: 3, replicationFactor: 1 }
        ]
      })
    )
    const letters: ReadonlyArray<Letter> = Array.from({ length: 90 }, (_, seq) => ({
      seq,
      webhook: "orders",
      reason: "chain_failed",
      key: `key-${seq % 11}`,
      failed: ["notify"],
      failedAt: Date.now(),
      id: `evt-${seq}`
    }))
    await produceLetters(kafka, topics.dlq, topics.input, letters)
    const name = uniqueName("multi")
    const options = { dlqTopic: topics.dlq, inputTopic: topics.input, name, maxBatchRecords: 7 }

    // stop it from outside once some batches are committed, as the console's Stop button would
    const outcome = await Effect.runPromise(
      Effect.gen(function* () {
        let published = 0
        const fiber = yield* Effect.forkChild(
          replay(kafka, { ...options, ratePerSecond: 60, onProgress: (p) => (published = p.published) })
        )
        while (published < 20) yield* Effect.sleep("20 millis")
        return yield* Fiber.interrupt(fiber).pipe(Effect.as(published))
      })
    )
    expect(outcome).toBeGreaterThanOrEqual(20)
    expect(outcome).toBeLessThan(90)

    const firstRun = await recordedTotal(topics.dlq, name)
    expect(firstRun).toBeGreaterThanOrEqual(outcome)
    const rest = await run(options)
    expect(rest.resumed).toBe(true)
    expect(rest.published).toBe(90 - firstRun)
    expect(await recordedTotal(topics.dlq, name)).toBe(90)
    const published = await consumeRecords(kafka, { topic: topics.input, count: 90 })
    const sources = published.map((r) => header(r.headers, H.REPLAY_OF))
    expect(sources).toHaveLength(90)
    expect(new Set(sources).size).toBe(90)
    // a finished named replay has nothing left to do
    expect(await run(options)).toMatchObject({ published: 0, total: 0 })
  })
})

/** The sum of a named replay's recorded positions over the DLQ's partitions. */
const recordedTotal = async (dlq: string, name: string) => {
  const offsets = await withAdmin(kafka, (admin) =>
    admin.fetchOffsets({ groupId: `hookstream-replay-${name}`, topics: [dlq] })
  )
  return offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)
}
