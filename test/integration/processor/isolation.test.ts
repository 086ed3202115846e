/**
 * Isolation: a slow or dead destination never slows another stream, and its own events are
 * neither lost nor reordered per key: what it cannot take now goes to the deferred topic and
 * is drained at its pace (see src/processor/Processor.ts).
 */
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import { destinationError } from "../../../src/domain/DestinationError.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import type { ProcessorOptions } from "../../../src/processor/Processor.ts"
import { consumeRecords } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, plan, type Running, runProcessor, type Topics, testKafkaClient } from "./harness.ts"

const SLOW = 100
const running: Array<Running> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})

const produce = async (topic: string, messages: ReadonlyArray<{ key: string; value: string }>) => {
  const kafka = testKafkaClient()
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true })
  await producer.connect()
  try {
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500).map((m) => ({ ...m })) })
  } finally {
    await producer.disconnect()
  }
}

interface Call {
  readonly webhookId: string
  readonly key: string | undefined
  readonly seq: number
  readonly at: number
}

/** A sink taking `delayMs` per call (and failing while `down()`), recording completed calls. */
const sink = (calls: Array<Call>, delayMs: () => number, down: () => boolean = () => false): Destination => ({
  send: (d) =>
    Effect.suspend(() =>
      Effect.sleep(delayMs()).pipe(
        Effect.andThen(
          Effect.suspend(() => {
            if (down()) return Effect.fail(destinationError("unavailable", "sink is down"))
            calls.push({ webhookId: d.webhookId, key: d.key, seq: (d.payload as { seq: number }).seq, at: Date.now() })
            return Effect.succeed({})
          })
        )
      )
    )
})

const event = (webhookId: string, key: string, seq: number) => ({
  key,
  value: JSON.stringify({ webhook_id: webhookId, id: `${webhookId}-${seq}`, payload: { seq } })
})

const parse = (value: string | null) => JSON.parse(value ?? "{}")

/** seq increases within each key of `webhookId` at the sink */
const inKeyOrder = (calls: ReadonlyArray<Call>, webhookId: string): boolean => {
  const last = new Map<string, number>()
  for (const c of calls.filter((c) => c.webhookId === webhookId)) {
    if ((last.get(c.key ?? "") ?? -1) > c.seq) return false
    last.set(c.key ?? "", c.seq)
  }
  return true
}

const slowPlan = (guard: { maxInFlight: number; maxQueued: number; failureThreshold?: number; cooldownMs?: number }) =>
  plan("slow", ["notify"], { timeoutMs: 20_000, guard: { failureThreshold: 1_000, ...guard } })

const start = (
  topics: Topics,
  calls: Array<Call>,
  slowMs: () => number,
  down?: () => boolean,
  overrides: Partial<ProcessorOptions> = {}
) =>
  runProcessor(
    topics,
    [slowPlan({ maxInFlight: 2, maxQueued: 2, cooldownMs: 1_500, failureThreshold: 2 }), plan("fast", ["store"])],
    (webhookId) => (webhookId === "slow" ? sink(calls, slowMs, down) : sink(calls, () => 1)),
    // caps small enough that a slow destination holding slots would stop the fast stream
    { maxInFlight: 24, maxInFlightPerPartition: 24, ...overrides }
  )

describe("isolation: a slow destination does not slow other streams", () => {
  it.each([
    ["at-least-once", false],
    ["exactly-once", true]
  ])(
    "%s: the fast stream finishes while the slow one is still draining; the slow one loses nothing and keeps per-key order",
    async (_, exactlyOnce) => {
      const kafka = testKafkaClient()
      const topics = await freshTopics(kafka, 3, { deferredPartitions: 4 })
      const calls: Array<Call> = []
      running.push(
        await start(topics, calls, () => 250, undefined, { exactlyOnce, commitIntervalMs: exactlyOnce ? 100 : 200 })
      )
      // 100 slow events (10 keys) first, then 300 fast ones (30 keys)
      await produce(topics.input, [
        ...Array.from({ length: SLOW }, (_, seq) => event("slow", `s-${seq % 10}`, seq)),
        ...Array.from({ length: 300 }, (_, seq) => event("fast", `f-${seq % 30}`, seq))
      ])
      const results = await consumeRecords(kafka, { topic: topics.results, count: SLOW + 300, timeoutMs: 90_000 })
      const fastDoneAt = Math.max(...calls.filter((c) => c.webhookId === "fast").map((c) => c.at))
      const slowDoneBefore = calls.filter((c) => c.webhookId === "slow" && c.at <= fastDoneAt).length
      // The slow sink (2 at a time, 250 ms each) had done only a few when the fast stream was
      // done. Holding slow events in memory instead, the caps (24) let the fast events in only
      // once all but 24 slow ones had finished (measured without the deferred topic: 76-80).
      expect(calls.filter((c) => c.webhookId === "fast").length).toBe(300)
      expect(slowDoneBefore).toBeLessThan(40)
      // every event has exactly one result; the slow ones succeeded on the deferred path
      const byId = new Map<string, Record<string, unknown>>()
      for (const r of results) byId.set(parse(r.value).event_id, parse(r.value))
      expect(byId.size).toBe(SLOW + 300)
      for (let seq = 0; seq < SLOW; seq++) {
        const result = byId.get(`slow-${seq}`)
        expect(result?.["status"]).toBe("succeeded")
        // the result names the input record, not the deferred one
        expect((result?.["source"] as { topic: string } | undefined)?.topic).toBe(topics.input)
      }
      expect(calls.filter((c) => c.webhookId === "slow").length).toBe(SLOW)
      expect(inKeyOrder(calls, "slow")).toBe(true)
      expect(inKeyOrder(calls, "fast")).toBe(true)
      // some were deferred: their records are on the deferred topic, keyed by the stream
      const deferred = await consumeRecords(kafka, { topic: topics.deferred as string, count: 1, timeoutMs: 10_000 })
      expect(deferred[0]?.key).toBe("slow")
      expect(parse(deferred[0]?.value ?? null).schema).toBe("hookstream.deferred/v1")
    }
  )

  it("an open circuit defers at once; once the sink is back every deferred event succeeds", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 2, { deferredPartitions: 2 })
    const calls: Array<Call> = []
    let down = true
    running.push(
      await start(
        topics,
        calls,
        () => 5,
        () => down
      )
    )
    // two failures open the circuit (threshold 2); what comes after is deferred, not failed
    await produce(
      topics.input,
      Array.from({ length: 30 }, (_, seq) => event("slow", `k-${seq % 3}`, seq))
    )
    const deferredRecords = await consumeRecords(kafka, {
      topic: topics.deferred as string,
      count: 10,
      timeoutMs: 30_000
    })
    expect(deferredRecords.some((r) => parse(r.value).reason === "circuit_open")).toBe(true)
    down = false
    const outcomes = new Map<string, string>()
    await waitFor(
      async () => {
        const results = await consumeRecords(kafka, { topic: topics.results, count: 30, timeoutMs: 5_000 }).catch(
          () => []
        )
        for (const r of results) outcomes.set(parse(r.value).event_id, parse(r.value).status)
        return outcomes.size === 30
      },
      { timeoutMs: 60_000, intervalMs: 1_000, description: "a result for each of the 30 events" }
    )
    const succeeded = [...outcomes.values()].filter((s) => s === "succeeded").length
    // the events that failed before the circuit opened are dead letters with their reason
    const dlq = await consumeRecords(kafka, { topic: topics.dlq, count: 30 - succeeded, timeoutMs: 10_000 })
    expect(dlq.every((r) => ["chain_failed", "timed_out"].includes(parse(r.value).reason))).toBe(true)
    expect(succeeded).toBeGreaterThanOrEqual(20)
    expect(inKeyOrder(calls, "slow")).toBe(true)
  })

  it("after a restart, a key with deferred work still waits behind it (the marks are rebuilt from the deferred topic)", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 1, { deferredPartitions: 1 })
    const calls: Array<Call> = []
    let slowMs = 1_000
    // a short drain: deferred work is left when it stops
    const first = await start(topics, calls, () => slowMs, undefined, { shutdownTimeoutMs: 500 })
    // 20 events of one key: 4 are held by the sink's slots, the rest are deferred
    await produce(
      topics.input,
      Array.from({ length: 20 }, (_, seq) => event("slow", "only-key", seq))
    )
    await waitFor(() => first.processor.status().processed >= 20, { timeoutMs: 30_000 })
    await first.stop()
    const before = calls.length
    expect(before).toBeLessThan(20)
    slowMs = 50
    running.push(await start(topics, calls, () => slowMs))
    await produce(topics.input, [event("slow", "only-key", 20)])
    await consumeRecords(kafka, { topic: topics.results, count: 21, timeoutMs: 60_000 })
    const seqs = calls.filter((c) => c.webhookId === "slow").map((c) => c.seq)
    // the newest event ran after every earlier one, across the restart
    expect(seqs.at(-1)).toBe(20)
    expect(inKeyOrder(calls, "slow")).toBe(true)
  })
})
