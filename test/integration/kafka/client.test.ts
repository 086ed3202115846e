/**
 * KafkaJS 2.2.4 against the real broker: every client feature hookstream builds on. If one of
 * these fails after a broker upgrade, KAFKA_VERSION (src/kafka/local/KafkaVersion.ts) goes back.
 */
import { type Consumer, Partitioners } from "kafkajs"
import { afterEach, describe, expect, it } from "vitest"
import { consumeRecords, createTopics, testKafka, uniqueName, withAdmin } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"

const kafka = testKafka("client-test")
const producerConfig = { createPartitioner: Partitioners.DefaultPartitioner }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const connectedProducer = async (config: Parameters<typeof kafka.producer>[0] = {}) => {
  const producer = kafka.producer({ ...producerConfig, ...config })
  await producer.connect()
  cleanups.push(() => producer.disconnect())
  return producer
}

const committedOffset = (groupId: string, topic: string, partition = 0) =>
  withAdmin(kafka, async (admin) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return offsets?.partitions.find((p) => p.partition === partition)?.offset
  })

describe("KafkaJS against the local broker", () => {
  it("creates topics with the admin client", async () => {
    const topic = uniqueName("admin")
    await createTopics(kafka, [{ topic, numPartitions: 3 }])

    const metadata = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: [topic] }))
    expect(metadata.topics).toHaveLength(1)
    expect(metadata.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2])
    expect(metadata.topics[0]?.partitions.every((p) => p.leader === 1)).toBe(true)
    // auto.create.topics.enable=false: a second create of the same name is refused, not merged.
    const createdAgain = await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic }] }))
    expect(createdAgain).toBe(false)
  })

  it("consumes in a group with explicit commits, and a restarted consumer resumes at the committed offset", async () => {
    const topic = uniqueName("group")
    const groupId = uniqueName("group")
    await createTopics(kafka, [{ topic }])
    const producer = await connectedProducer()
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `m${i}` }))
    })

    // First consumer: sees everything, but commits only what it "finished": m0..m4.
    const seenByFirst: Array<string> = []
    const first: Consumer = kafka.consumer({ groupId, sessionTimeout: 6000, maxWaitTimeInMs: 250 })
    await first.connect()
    await first.subscribe({ topic, fromBeginning: true })
    await first.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seenByFirst.push(message.value?.toString() ?? "")
        const offset = Number(message.offset)
        if (offset < 5) await first.commitOffsets([{ topic, partition, offset: String(offset + 1) }])
      }
    })
    await waitFor(() => seenByFirst.length === 10, { description: "the first consumer to see all 10 records" })
    await first.disconnect()
    // autoCommit: false means nothing beyond our explicit commits, not even on disconnect.
    expect(await committedOffset(groupId, topic)).toBe("5")

    const resumed = await consumeRecords(kafka, { topic, groupId, count: 5 })
    expect(resumed.map((r) => r.value)).toEqual(["m5", "m6", "m7", "m8", "m9"])
    expect(resumed[0]?.offset).toBe("5")
  })

  it("commits a transaction with sendOffsets, aborts another, and read_committed sees only committed records", async () => {
    const input = uniqueName("tx-in")
    const output = uniqueName("tx-out")
    const groupId = uniqueName("tx-group")
    await createTopics(kafka, [{ topic: input }, { topic: output }])

    const producer = await connectedProducer({
      transactionalId: uniqueName("tx"),
      idempotent: true,
      maxInFlightRequests: 1
    })
    const consumed = (offset: number) => ({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: String(offset) }] }]
    })

    const committed = await producer.transaction()
    await committed.send({ topic: output, messages: [{ key: "a", value: "committed-1" }] })
    await committed.sendOffsets(consumed(1))
    await committed.commit()
    // Commit returns once the coordinator has decided; the markers that make the offsets
    // visible to OffsetFetch are written right after, asynchronously.
    await waitFor(async () => (await committedOffset(groupId, input)) === "1", {
      description: "the offsets sent in the committed transaction to become the group's"
    })

    const aborted = await producer.transaction()
    await aborted.send({ topic: output, messages: [{ key: "b", value: "aborted-1" }] })
    await aborted.sendOffsets(consumed(2))
    await aborted.abort()

    // A last committed record after the aborted one: once a consumer has it, everything before it
    // in the partition has been delivered, so "aborted-1 is absent" needs no waiting.
    const sentinel = await producer.transaction()
    await sentinel.send({ topic: output, messages: [{ key: "c", value: "committed-2" }] })
    await sentinel.commit()
    // The coordinator starts a transaction only after the previous one's markers are written,
    // so by now the abort is complete: its offsets were rolled back with its records.
    expect(await committedOffset(groupId, input)).toBe("1")

    const readCommitted = await consumeRecords(kafka, { topic: output, count: 2 })
    expect(readCommitted.map((r) => r.value)).toEqual(["committed-1", "committed-2"])

    // The aborted record is in the log; only the isolation level hides it.
    const readUncommitted = await consumeRecords(kafka, { topic: output, count: 3, readCommitted: false })
    expect(readUncommitted.map((r) => r.value)).toEqual(["committed-1", "aborted-1", "committed-2"])
  })
})
