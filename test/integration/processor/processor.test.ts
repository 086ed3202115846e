import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import { destinationError } from "../../../src/domain/DestinationError.ts"
import { producerClients } from "../../../src/kafka/producer/ProducerDriver.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import { consumeRecords } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, plan, type Running, runProcessor as runWith, testKafkaClient } from "./harness.ts"

interface Seen {
  readonly key: string | undefined
  readonly seq: number
  readonly module: string
  readonly start: number
  readonly end: number
}

/** A sink that records what it saw, taking a little time so events overlap. */
const recordingSink = (seen: Array<Seen>, delayMs = 5, failModules: ReadonlySet<string> = new Set()): Destination => ({
  send: (d) =>
    Effect.gen(function* () {
      const start = Date.now()
      yield* Effect.sleep(delayMs)
      if (failModules.has(d.moduleId)) return yield* Effect.fail(destinationError("rejected", "sink says no"))
      const seq = (d.payload as { seq: number }).seq
      seen.push({ key: d.key, seq, module: d.moduleId, start, end: Date.now() })
      return {}
    })
})

const running: Array<Running> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})

const produce = async (
  topic: string,
  messages: ReadonlyArray<{ key?: string; value: Buffer | string; headers?: Record<string, string> }>
) => {
  const kafka = testKafkaClient()
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true })
  await producer.connect()
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500).map((m) => ({ ...m })) })
    }
  } finally {
    await producer.disconnect()
  }
}

// the same suite on both producers of outcomes (exactly-once transactions are KafkaJS's either way)
describe.each(producerClients)("processor (%s producer)", (producerClient) => {
  const runProcessor = (...[topics, plans, destination, overrides]: Parameters<typeof runWith>) =>
    runWith(topics, plans, destination, { producerClient, ...overrides })

  it("1,000 events over 50 keys: one result each, per-key order kept at the sink, keys overlap", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 3)
    const seen: Array<Seen> = []
    running.push(await runProcessor(topics, [plan("orders", ["store"])], recordingSink(seen)))
    const events = Array.from({ length: 1_000 }, (_, seq) => ({
      key: `customer-${seq % 50}`,
      value: JSON.stringify({ webhook_id: "orders", payload: { seq } })
    }))
    await produce(topics.input, events)
    const results = await consumeRecords(kafka, { topic: topics.results, count: 1_000, timeoutMs: 60_000 })
    const ids = results.map((r) => JSON.parse(r.value ?? "").event_id as string)
    expect(new Set(ids).size).toBe(1_000)
    expect(results.every((r) => JSON.parse(r.value ?? "").status === "succeeded")).toBe(true)
    // per-key order at the sink: seq increases within each key
    const byKey = new Map<string, Array<number>>()
    for (const s of seen) byKey.set(s.key ?? "", [...(byKey.get(s.key ?? "") ?? []), s.seq])
    expect(byKey.size).toBe(50)
    for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    // different keys overlapped in time (not a serial pipe)
    const sorted = [...seen].sort((a, b) => a.start - b.start)
    let overlaps = 0
    for (let i = 1; i < sorted.length; i++) if ((sorted[i]?.start ?? 0) < (sorted[i - 1]?.end ?? 0)) overlaps++
    expect(overlaps).toBeGreaterThan(100)
    // the result records carry the input key
    expect(results.every((r) => r.key?.startsWith("customer-"))).toBe(true)
  })

  it("failing modules, poison bytes and unknown ids go to the DLQ with reasons; good events all processed", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 1)
    const seen: Array<Seen> = []
    running.push(
      await runProcessor(
        topics,
        [plan("orders", ["store", "notify"]), plan("audit", ["archive"])],
        recordingSink(seen, 1, new Set(["notify"]))
      )
    )
    await produce(topics.input, [
      { key: "a", value: JSON.stringify({ webhook_id: "audit", id: "good-1", payload: { seq: 1 } }) },
      { key: "a", value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
      { key: "b", value: JSON.stringify({ webhook_id: "nobody", payload: { seq: 2 } }) },
      { key: "c", value: JSON.stringify({ webhook_id: "orders", id: "partial-1", payload: { seq: 3 } }) },
      { key: "a", value: JSON.stringify({ webhook_id: "audit", id: "good-2", payload: { seq: 4 } }) }
    ])
    const dlq = await consumeRecords(kafka, { topic: topics.dlq, count: 3 })
    const byReason = new Map(dlq.map((r) => [JSON.parse(r.value ?? "").reason as string, JSON.parse(r.value ?? "")]))
    expect([...byReason.keys()].sort()).toEqual(["chain_failed", "invalid_event", "unknown_webhook"])
    expect(byReason.get("chain_failed").failed_modules).toEqual(["notify"])
    expect(byReason.get("chain_failed").event_id).toBe("partial-1")
    expect(Buffer.from(byReason.get("invalid_event").event.raw, "base64")).toEqual(
      Buffer.from([0xde, 0xad, 0xbe, 0xef])
    )
    expect(
      dlq
        .find((r) => JSON.parse(r.value ?? "").reason === "unknown_webhook")
        ?.headers["hookstream-dlq-reason"]?.toString()
    ).toBe("unknown_webhook")
    const results = await consumeRecords(kafka, { topic: topics.results, count: 3 })
    const statuses = Object.fromEntries(
      results.map((r) => [JSON.parse(r.value ?? "").event_id, JSON.parse(r.value ?? "").status])
    )
    expect(statuses).toEqual({ "good-1": "succeeded", "good-2": "succeeded", "partial-1": "partial" })
  })

  it("a chain that fails outright and one that passes its deadline: results `failed`/`timed_out`, DLQ reasons chain_failed/timed_out, nothing run after the failure", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 1)
    const calls: Array<string> = []
    const sink: Destination = {
      send: (d) =>
        Effect.suspend(() => {
          calls.push(`${d.eventId}/${d.moduleId}`)
          if (d.moduleId === "reject") return Effect.fail(destinationError("rejected", "sink says no"))
          if (d.moduleId === "hang") return Effect.never
          return Effect.succeed({})
        })
    }
    running.push(
      await runProcessor(
        topics,
        [
          plan("fails", ["reject", "after"], { continueOnError: false }),
          plan("slow", ["ok", "hang"], { timeoutMs: 400 })
        ],
        sink
      )
    )
    await produce(topics.input, [
      { key: "a", value: JSON.stringify({ webhook_id: "fails", id: "f-1", payload: {} }) },
      { key: "b", value: JSON.stringify({ webhook_id: "slow", id: "s-1", payload: {} }) }
    ])
    const dlq = (await consumeRecords(kafka, { topic: topics.dlq, count: 2 })).map((r) => JSON.parse(r.value ?? ""))
    const byId = new Map(dlq.map((d) => [d.event_id as string, d]))
    expect(byId.get("f-1")).toMatchObject({ reason: "chain_failed", failed_modules: ["reject", "after"] })
    expect(byId.get("f-1").result.status).toBe("failed")
    expect(byId.get("s-1")).toMatchObject({ reason: "timed_out", failed_modules: ["hang"] })
    const results = (await consumeRecords(kafka, { topic: topics.results, count: 2 })).map((r) =>
      JSON.parse(r.value ?? "")
    )
    const slow = results.find((r) => r.event_id === "s-1")
    expect(slow.status).toBe("timed_out")
    expect(slow.duration_ms).toBeGreaterThanOrEqual(400)
    expect(slow.modules.map((m: { status: string }) => m.status)).toEqual(["succeeded", "timed_out"])
    expect(results.find((r) => r.event_id === "f-1").modules.map((m: { status: string }) => m.status)).toEqual([
      "failed",
      "skipped"
    ])
    // the module after the failure never started
    expect(calls.filter((c) => c.startsWith("f-1/"))).toEqual(["f-1/reject"])
  })

  it("commits only durable progress: a restarted processor does not redo committed events", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 2)
    const seen: Array<Seen> = []
    const first = await runProcessor(topics, [plan("orders", ["store"])], recordingSink(seen, 1))
    await produce(
      topics.input,
      Array.from({ length: 200 }, (_, seq) => ({
        key: `k${seq % 7}`,
        value: JSON.stringify({ webhook_id: "orders", payload: { seq } })
      }))
    )
    await waitFor(() => first.processor.status().processed === 200, { timeoutMs: 30_000 })
    await first.stop()
    const again: Array<Seen> = []
    const second = await runProcessor(topics, [plan("orders", ["store"])], recordingSink(again, 1))
    running.push(second)
    await produce(topics.input, [{ key: "k1", value: JSON.stringify({ webhook_id: "orders", payload: { seq: 999 } }) }])
    await waitFor(() => again.length >= 1, { timeoutMs: 30_000 })
    await waitFor(() => second.processor.status().commits > 0)
    expect(again.map((s) => s.seq)).toEqual([999])
    expect(seen.length).toBe(200)
  })
})
