/**
 * The producer kit on both clients, against the run's broker: a key lands on the partition
 * KafkaJS (the Java client's partitioner) puts it on whichever client wrote it; records and
 * headers arrive as sent; a committed transaction is visible to read_committed readers and an
 * aborted one never is; a second producer of the same transactional id fences the first.
 */
import { Effect, Exit, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import { makeProducer } from "../../../src/kafka/producer/Producer.ts"
import type { ProducerClient, ProducerRecord } from "../../../src/kafka/producer/ProducerDriver.ts"
import { makeTransactionalProducer } from "../../../src/kafka/producer/TransactionalProducer.ts"
import { consumeRecords, createTopics, testKafka, uniqueName } from "../../support/kafka.ts"

const kafka = testKafka("producer-kit-test")
const scoped = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))

const keyed = (topic: string, n: number): ReadonlyArray<ProducerRecord> =>
  Array.from({ length: n }, (_, i) => ({
    topic,
    key: `key-${i}-${(i * 7919) % 1013}`,
    value: JSON.stringify({ i }),
    headers: { "x-i": String(i) }
  }))

describe("producer kit", () => {
  it("a key lands on the same partition whichever client wrote it (Java-compatible partitioner)", async () => {
    const [viaKafkajs, viaPlatformatic] = [uniqueName("kit-kjs"), uniqueName("kit-plt")]
    await createTopics(kafka, [
      { topic: viaKafkajs, numPartitions: 7 },
      { topic: viaPlatformatic, numPartitions: 7 }
    ])
    const produce = (client: ProducerClient, topic: string) =>
      scoped(Effect.flatMap(makeProducer(kafka, { client }), (p) => p.send(keyed(topic, 300))))
    await produce("kafkajs", viaKafkajs)
    await produce("platformatic", viaPlatformatic)
    const partitionOf = async (topic: string) =>
      new Map((await consumeRecords(kafka, { topic, count: 300 })).map((r) => [r.key, r.partition]))
    const expected = await partitionOf(viaKafkajs)
    const actual = await partitionOf(viaPlatformatic)
    expect(expected.size).toBe(300)
    expect(new Set(expected.values()).size).toBe(7)
    expect(actual).toEqual(expected)
  })

  for (const client of ["kafkajs", "platformatic"] as const) {
    describe(client, () => {
      it("sends records with their key, value and headers, across topics, in order per partition", async () => {
        const [a, b] = [uniqueName(`kit-${client}-a`), uniqueName(`kit-${client}-b`)]
        await createTopics(kafka, [{ topic: a }, { topic: b }])
        const records = [...keyed(a, 50), ...keyed(b, 20), { topic: a, key: null, value: "keyless", headers: {} }]
        // a small request limit: the records go in several requests
        const positions = await scoped(
          Effect.flatMap(makeProducer(kafka, { client, maxRequestBytes: 4_096 }), (p) => p.send(records))
        )
        expect(positions.some((p) => p.topic === a && p.offset !== undefined)).toBe(true)
        const gotA = await consumeRecords(kafka, { topic: a, count: 51 })
        expect(gotA.map((r) => r.value)).toEqual([...keyed(a, 50).map((r) => r.value), "keyless"])
        expect(gotA[3]?.headers["x-i"]?.toString()).toBe("3")
        expect(gotA.at(-1)?.key).toBeNull()
        expect(await consumeRecords(kafka, { topic: b, count: 20 })).toHaveLength(20)
      })

      it("a committed transaction is visible to read_committed readers, an aborted one never", async () => {
        const topic = uniqueName(`kit-${client}-txn`)
        await createTopics(kafka, [{ topic }])
        await scoped(
          Effect.gen(function* () {
            const producer = yield* makeTransactionalProducer(kafka, { client, transactionalId: uniqueName("kit") })
            yield* producer.connect
            const aborted = yield* producer.begin
            yield* aborted.send([{ topic, key: "k", value: "aborted", headers: {} }])
            yield* aborted.abort
            // back-to-back transactions: the CONCURRENT_TRANSACTIONS retry keeps them going
            for (let i = 0; i < 5; i++) yield* producer.run([{ topic, key: "k", value: `committed-${i}`, headers: {} }])
          })
        )
        const seen = await consumeRecords(kafka, { topic, count: 5 })
        expect(seen.map((r) => r.value)).toEqual([0, 1, 2, 3, 4].map((i) => `committed-${i}`))
        const all = await consumeRecords(kafka, { topic, count: 6, readCommitted: false })
        expect(all.map((r) => r.value)).toContain("aborted")
      })

      it("a second producer of the same transactional id fences the first: its transaction fails as fenced", async () => {
        const topic = uniqueName(`kit-${client}-fence`)
        await createTopics(kafka, [{ topic }])
        const transactionalId = uniqueName("kit-fence")
        const exit = await Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const zombie = yield* makeTransactionalProducer(kafka, { client, transactionalId })
              yield* zombie.connect
              const open = yield* zombie.begin
              yield* open.send([{ topic, key: "k", value: "zombie", headers: {} }])
              const successor = yield* makeTransactionalProducer(kafka, { client, transactionalId })
              yield* successor.connect
              yield* successor.fence
              yield* successor.run([{ topic, key: "k", value: "successor", headers: {} }])
              return yield* Effect.exit(open.commit())
            })
          )
        )
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(JSON.stringify(exit.cause)).toContain('"fenced":true')
        const seen = await consumeRecords(kafka, { topic, count: 1 })
        expect(seen.map((r) => r.value)).toEqual(["successor"])
      })
    })
  }
})
