/**
 * read_committed through KafkaJS when two transactional producers interleave on a partition
 * and the later-begun transaction aborts first: the broker lists the aborted transactions in
 * abort order, KafkaJS's filter expects them by first offset (abortedTransactionOrder.ts).
 * Every client made with makeKafka must hide both aborted transactions. Real broker.
 */
import { Effect } from "effect"
import { Partitioners } from "kafkajs"
import { describe, expect, it } from "vitest"
import { readCommitted } from "../../../src/kafka/TopicReader.ts"
import { createTopics, testKafka, uniqueName } from "../../support/kafka.ts"

describe("read_committed with interleaved aborted transactions", () => {
  it("hides the records of both, whichever aborted first", async () => {
    const kafka = testKafka("aborted-order-test")
    const topic = uniqueName("aborted-order")
    await createTopics(kafka, [{ topic }])
    const producer = (id: string) =>
      kafka.producer({
        transactionalId: uniqueName(id),
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner
      })
    const first = producer("first")
    const second = producer("second")
    await first.connect()
    await second.connect()
    try {
      const a = await first.transaction()
      await a.send({ topic, messages: [{ value: "a-1" }, { value: "a-2" }] })
      const b = await second.transaction()
      await b.send({ topic, messages: [{ value: "b-1" }] })
      await a.send({ topic, messages: [{ value: "a-3" }] })
      // the transaction begun later aborts first; the next transaction of its producer can
      // add the partition only once that abort's marker is written (CONCURRENT_TRANSACTIONS
      // until then, retried by KafkaJS), so the markers land in this order
      await b.abort()
      const c = await second.transaction()
      await c.send({ topic, messages: [{ value: "committed" }] })
      await a.abort()
      await c.commit()
    } finally {
      await first.disconnect()
      await second.disconnect()
    }
    const read = await Effect.runPromise(readCommitted(kafka, topic))
    expect(read.map((r) => r.value?.toString("utf8"))).toEqual(["committed"])
  })
})
