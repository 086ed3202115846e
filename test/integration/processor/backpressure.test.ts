/**
 * Backpressure: in-flight work stays within the per-partition and global caps whatever the
 * backlog (fetching pauses at the cap and resumes below it), and the consumer keeps its
 * group membership while chains run longer than the session timeout.
 */
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import { consumeRecords } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, plan, type Running, runProcessor, testKafkaClient } from "./harness.ts"

const running: Array<Running> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})

const produce = async (topic: string, n: number, keyed = true) => {
  const producer = testKafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: n }, (_, seq) => ({
      ...(keyed ? { key: `k${seq}` } : {}),
      value: JSON.stringify({ webhook_id: "orders", payload: { seq } })
    }))
  })
  await producer.disconnect()
}

describe("backpressure", () => {
  it("in-flight events never exceed the per-partition and global caps; everything is processed", async () => {
    const topics = await freshTopics(testKafkaClient(), 3)
    await produce(topics.input, 600)
    const slow = { send: () => Effect.sleep(20).pipe(Effect.as({})) }
    const r = await runProcessor(topics, [plan("orders", ["store"])], slow, {
      maxInFlightPerPartition: 10,
      maxInFlight: 25
    })
    running.push(r)
    let peak = 0
    let sawPause = false
    const sampler = setInterval(() => {
      const s = r.processor.status()
      peak = Math.max(peak, s.inFlight)
      if (s.paused.length > 0) sawPause = true
    }, 5)
    try {
      await waitFor(() => r.processor.status().processed >= 600, {
        timeoutMs: 20_000,
        description: () => JSON.stringify(r.processor.status())
      })
    } finally {
      clearInterval(sampler)
    }
    expect(peak).toBeGreaterThan(5)
    expect(peak).toBeLessThanOrEqual(25)
    expect(sawPause).toBe(true)
    const results = await consumeRecords(testKafkaClient(), { topic: topics.results, count: 600 })
    expect(new Set(results.map((x) => JSON.parse(x.value ?? "").event_id)).size).toBe(600)
  })

  it("chains longer than the session timeout do not cost the group membership", async () => {
    const topics = await freshTopics(testKafkaClient(), 1)
    const slow = { send: () => Effect.sleep(9_000).pipe(Effect.as({})) }
    const r = await runProcessor(topics, [plan("orders", ["store"], { timeoutMs: 20_000 })], slow, {
      sessionTimeoutMs: 6_000,
      maxInFlightPerPartition: 2
    })
    running.push(r)
    await waitFor(() => r.processor.status().ready)
    // 4 events, 2 in flight at a time: 18 s of chains, three session timeouts long
    await produce(topics.input, 4, true)
    await waitFor(() => r.processor.status().processed >= 4, { timeoutMs: 40_000 })
    const results = await consumeRecords(testKafkaClient(), { topic: topics.results, count: 4 })
    // a lost membership would have redelivered and duplicated outcomes
    expect(results.length).toBe(4)
    expect(r.processor.status().assigned).toEqual([0])
  }, 60_000)
})
