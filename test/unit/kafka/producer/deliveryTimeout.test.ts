/**
 * A producer whose client wedges (a send that is never acknowledged, as @platformatic/kafka
 * retrying against a dead leader after the cluster had recovered) replaces the client after
 * its delivery deadline; the caller's retry goes through the new one. Without the deadline the
 * processor's outcomes stopped for good (chaos broker_failover).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Kafka } from "kafkajs"
import { makeProducer } from "../../../../src/kafka/producer/Producer.ts"
import type { ProducerDriver, ProducerRecord } from "../../../../src/kafka/producer/ProducerDriver.ts"

interface FakeClient {
  readonly driver: ProducerDriver
  readonly sent: Array<ReadonlyArray<ProducerRecord>>
  closed: boolean
}

/** client n wedges when `wedged(n)`: its sends never settle */
const clients = (wedged: (n: number) => boolean) => {
  const made: Array<FakeClient> = []
  const factory = (): ProducerDriver => {
    const n = made.length
    const client: FakeClient = {
      sent: [],
      closed: false,
      driver: {
        client: "kafkajs",
        transactionalOffsets: false,
        connect: async () => undefined,
        disconnect: async () => {
          client.closed = true
        },
        send: (records) => {
          if (wedged(n)) return new Promise(() => undefined)
          client.sent.push(records)
          return Promise.resolve(records.map((r) => ({ topic: r.topic, partition: 0, offset: "0" })))
        },
        begin: () => Promise.reject(new Error("not transactional"))
      }
    }
    made.push(client)
    return client.driver
  }
  return { made, factory }
}

const record: ProducerRecord = { topic: "results", key: null, value: "v", headers: {} }
// never contacted: the factory stands in for the client
const kafka = new Kafka({ clientId: "unit", brokers: ["127.0.0.1:1"] })

describe("Producer delivery deadline", () => {
  it.live("a send past the deadline fails retriable and replaces the client; the retry goes through the new one", () =>
    Effect.gen(function* () {
      const { made, factory } = clients((n) => n === 0)
      const producer = yield* makeProducer(kafka, { client: "kafkajs", deliveryTimeoutMs: 50 }, factory)
      const first = yield* Effect.flip(producer.send([record]))
      assert.strictEqual(first.code, "DELIVERY_TIMEOUT")
      assert.isTrue(first.retriable)
      assert.strictEqual(made.length, 2)
      assert.isTrue(made[0]?.closed)
      // the new client connects in the background
      yield* Effect.sleep(20)
      const positions = yield* producer.send([record])
      assert.strictEqual(positions.length, 1)
      assert.strictEqual(made[1]?.sent.length, 1)
    }).pipe(Effect.scoped)
  )

  it.live("a healthy client is never replaced", () =>
    Effect.gen(function* () {
      const { made, factory } = clients(() => false)
      const producer = yield* makeProducer(kafka, { client: "kafkajs", deliveryTimeoutMs: 50 }, factory)
      for (let i = 0; i < 5; i++) yield* producer.send([record])
      yield* Effect.sleep(80)
      assert.strictEqual(made.length, 1)
      assert.strictEqual(made[0]?.sent.length, 5)
    }).pipe(Effect.scoped)
  )
})
