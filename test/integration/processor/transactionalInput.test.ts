/**
 * Input written in transactions (hookstream ingress, named replays): every transaction leaves
 * a commit marker in the log after its records. The processor must commit past those markers
 * once the records before them are done, or each partition would show a lag of one forever
 * (and hookstream_consumer_lag alerts would never clear). Aborted records are never processed.
 */
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import type { Destination } from "../../../src/modules/Destination.ts"
import { consumeRecords, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, plan, type Running, runProcessor, testKafkaClient } from "./harness.ts"

const running: Array<Running> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
})

describe.each([false, true])("transactional input (exactly-once: %s)", (exactlyOnce) => {
  it("commits past the transactions' markers (lag 0) and never runs aborted records", async () => {
    const kafka = testKafkaClient()
    const topics = await freshTopics(kafka, 3)
    const seen: Array<string> = []
    const sink: Destination = {
      send: (d) =>
        Effect.sync(() => {
          seen.push(d.eventId)
          return {}
        })
    }
    running.push(await runProcessor(topics, [plan("t", ["a"])], sink, { exactlyOnce, instanceId: uniqueName("i") }))
    const producer = kafka.producer({
      transactionalId: uniqueName("txn-input"),
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 5, retries: 20 },
      createPartitioner: Partitioners.DefaultPartitioner
    })
    await producer.connect()
    const event = (id: string, key: string) => ({ key, value: JSON.stringify({ webhook_id: "t", id, payload: {} }) })
    try {
      for (let t = 0; t < 5; t++) {
        const txn = await producer.transaction()
        await txn.send({ topic: topics.input, messages: [0, 1, 2, 3].map((i) => event(`c-${t}-${i}`, `k${i}`)) })
        await txn.commit()
      }
      const aborted = await producer.transaction()
      await aborted.send({ topic: topics.input, messages: [0, 1, 2].map((i) => event(`x-${i}`, `k${i}`)) })
      await aborted.abort()
    } finally {
      await producer.disconnect()
    }
    const results = await consumeRecords(kafka, { topic: topics.results, count: 20 })
    expect(new Set(results.map((r) => JSON.parse(r.value ?? "").event_id)).size).toBe(20)

    const admin = kafka.admin()
    await admin.connect()
    try {
      const ends = new Map((await admin.fetchTopicOffsets(topics.input)).map((p) => [p.partition, p.high]))
      await waitFor(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId: topics.group, topics: [topics.input] })
          return (committed?.partitions ?? []).every((p) => p.offset === ends.get(p.partition))
        },
        { timeoutMs: 20_000, description: () => `group committed up to the high watermarks ${[...ends.values()]}` }
      )
    } finally {
      await admin.disconnect()
    }
    expect(seen.some((id) => id.includes("x-"))).toBe(false)
    expect(seen.filter((id) => id.startsWith("c-"))).toHaveLength(20)
  }, 60_000)
})
