/**
 * "Where is my event" end to end, as a user runs it (the executable, stdout a pipe, so JSON):
 * an event that came in through the real ingress (a ULID id) is found with its result, reading
 * only from the id's own time (records stored two days earlier are not read); a dead-lettered
 * event sent with `send --wait` is reported as dead-lettered at once, and after a replay its
 * trail shows every arrival, result and dead letter, newest first. Not found exits 1, a bad
 * --since exits 2.
 */
import type { Consumer, Producer } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ulidTime } from "../../../src/ingress/eventId.ts"
import { simulatedDestination } from "../../../src/streamTests/SimulatedDestination.ts"
import { kafkaBrokers, uniqueName, withAdmin } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { hookstream as hookstreamWith } from "../../unit/cli/hookstreamProcess.ts"
import { startTestIngress, streamsFrom, type TestIngress } from "../ingress/harness.ts"
import { freshTopics, plan, type Running, runProcessor, type Topics, testKafkaClient } from "../processor/harness.ts"

const kafka = testKafkaClient()
let topics: Topics
let processor: Running
let ingress: TestIngress
let producer: Producer
let failing = true
const OLD = 20

const hookstream = (args: ReadonlyArray<string>) =>
  hookstreamWith([...args, "--input", topics.input, "--results", topics.results, "--dlq", topics.dlq], {
    KAFKA_BROKERS: kafkaBrokers()
  })

interface TrailJson {
  readonly found: boolean
  readonly scanned_from_why: string
  readonly scanned: Record<string, number>
  readonly records: ReadonlyArray<{
    readonly kind: string
    readonly at: string
    readonly replay_count: number
    readonly status?: string
    readonly reason?: string
    readonly replay_of?: string
  }>
}

/** event id → its result records so far (status, replay count) */
const results = new Map<string, Array<{ status: string; replayCount: number }>>()
let resultsConsumer: Consumer

const resultsFor = (eventId: string, count: number) =>
  waitFor(() => (results.get(eventId)?.length ?? 0) >= count, {
    timeoutMs: 45_000,
    description: () => `${count} result(s) for ${eventId} (have ${results.get(eventId)?.length ?? 0})`
  })

beforeAll(async () => {
  topics = await freshTopics(kafka)
  producer = kafka.producer()
  await producer.connect()
  // two days of history the ULID's time lets the lookup skip
  const twoDaysAgo = String(Date.now() - 2 * 86_400_000)
  for (const topic of [topics.input, topics.results, topics.dlq])
    await producer.send({
      topic,
      messages: Array.from({ length: OLD }, (_, i) => ({ value: JSON.stringify({ old: i }), timestamp: twoDaysAgo }))
    })
  // the processor starts after the old input records, as if it had processed them two days ago
  await withAdmin(kafka, async (admin) =>
    admin.setOffsets({
      groupId: topics.group,
      topic: topics.input,
      partitions: (await admin.fetchTopicOffsets(topics.input)).map((p) => ({ partition: p.partition, offset: p.high }))
    })
  )
  processor = await runProcessor(
    topics,
    [plan("shop", ["store"]), plan("billing", ["charge"])],
    simulatedDestination((id) =>
      id === "charge" && failing ? { _tag: "fail", retryable: false } : { _tag: "succeed" }
    )
  )
  ingress = await startTestIngress(
    streamsFrom({ "shop.yaml": "id: shop\ningress: {}\nchain:\n  - module: log\n    id: store\n" }),
    { brokers: kafkaBrokers(), topic: topics.input }
  )
  await ingress.ready()
  resultsConsumer = kafka.consumer({ groupId: uniqueName("event-results"), maxWaitTimeInMs: 250 })
  await resultsConsumer.connect()
  await resultsConsumer.subscribe({ topic: topics.results, fromBeginning: true })
  await resultsConsumer.run({
    eachMessage: async ({ message }) => {
      const r = JSON.parse(message.value?.toString("utf8") ?? "{}") as {
        event_id?: string
        status: string
        replay_count: number
      }
      if (r.event_id === undefined) return
      results.set(r.event_id, [...(results.get(r.event_id) ?? []), { status: r.status, replayCount: r.replay_count }])
    }
  })
}, 90_000)

afterAll(async () => {
  await resultsConsumer?.disconnect()
  await ingress?.close()
  await processor?.stop()
  await producer?.disconnect()
})

describe("hookstream event", () => {
  it("finds an ingress event's result, reading from the time in its ULID", async () => {
    const response = await ingress.post("shop", { headers: { "content-type": "application/json" }, body: '{"n":1}' })
    expect(response.status).toBe(202)
    const { event_id: id } = (await response.json()) as { event_id: string }
    expect(ulidTime(id)).toBeDefined()
    await resultsFor(id, 1)

    const found = await hookstream(["event", id])
    expect(found.code, found.stderr).toBe(0)
    const trail = JSON.parse(found.stdout) as TrailJson
    expect(trail.found).toBe(true)
    expect(trail.records.map((r) => [r.kind, r.status ?? r.replay_count])).toEqual([
      ["result", "succeeded"],
      ["input", 0]
    ])
    expect(trail.scanned_from_why).toBe("event id time")
    // the records stored two days earlier were never read
    for (const topic of [topics.input, topics.results, topics.dlq]) expect(trail.scanned[topic]).toBeLessThan(OLD)
  })

  it("send --wait reports a dead letter as soon as it comes; after a replay the trail shows every step, newest first", async () => {
    const sent = await hookstream(["send", "billing", '{"invoice": 7}', "--id", "bill-7", "--wait", "--timeout", "20s"])
    expect(sent.code).toBe(1)
    expect(sent.stderr).toContain(`dead-lettered (chain_failed) at ${topics.dlq}:0:`)
    expect(sent.stderr).toContain("charge: ")

    failing = false
    const replayed = await hookstreamWith(
      ["replay", "--webhook", "billing", "--json", "--input", topics.input, "--dlq", topics.dlq],
      { KAFKA_BROKERS: kafkaBrokers() }
    )
    expect(replayed.code, replayed.stderr).toBe(0)
    expect((JSON.parse(replayed.stdout) as { published: number }).published).toBe(1)
    await resultsFor("bill-7", 2)

    const found = await hookstream(["event", "bill-7"])
    expect(found.code, found.stderr).toBe(0)
    const trail = JSON.parse(found.stdout) as TrailJson
    expect(trail.scanned_from_why).toBe("whole topics")
    expect(trail.records.map((r) => [r.kind, r.replay_count, r.status ?? r.reason ?? ""])).toEqual([
      ["result", 1, "succeeded"],
      ["input", 1, ""],
      ["dead_letter", 0, "chain_failed"],
      ["result", 0, "failed"],
      ["input", 0, ""]
    ])
    expect(trail.records[1]?.replay_of).toBe(`${topics.dlq}:0:${OLD}`)
    const times = trail.records.map((r) => Date.parse(r.at))
    expect([...times].sort((a, b) => b - a)).toEqual(times)
  })

  it("an event it cannot find exits 1 with one line; a bad --since is a usage error (2)", async () => {
    const missing = await hookstream(["event", "no-such-event", "--since", "10m"])
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout)).toMatchObject({ found: false, records: [] })
    expect(missing.stderr.trim().split("\n")).toEqual([
      expect.stringContaining("hookstream event: no record of no-such-event on")
    ])
    const usage = await hookstream(["event", "x", "--since", "yesterday"])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain("--since: not a time: yesterday")
  })

  it("send --wait on a webhook nobody serves reports its dead letter instead of waiting for a result", async () => {
    const sent = await hookstream(["send", "nobody", "{}", "--wait", "--timeout", "20s"])
    expect(sent.code).toBe(1)
    expect(sent.stderr).toContain("dead-lettered (unknown_webhook)")
    expect(JSON.parse(sent.stdout.slice(sent.stdout.indexOf("{")))).toMatchObject({ reason: "unknown_webhook" })
  })
})
