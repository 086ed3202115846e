/**
 * A transactional producer whose client stops answering (a transaction's send that never
 * settles, as @platformatic/kafka after a leader's SIGKILL, which stalled the ingress for good)
 * fails that transaction after the step deadline, replaces the client, and runs the next
 * transaction on the new one.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Kafka } from "kafkajs"
import type {
  DriverTransaction,
  ProducerDriver,
  ProducerRecord
} from "../../../../src/kafka/producer/ProducerDriver.ts"
import { makeTransactionalProducer, STEP_TIMED_OUT } from "../../../../src/kafka/producer/TransactionalProducer.ts"

interface Client {
  readonly committed: Array<ReadonlyArray<ProducerRecord>>
  closed: boolean
}

const clients = (wedged: (n: number) => boolean) => {
  const made: Array<Client> = []
  const factory = (): ProducerDriver => {
    const n = made.length
    const client: Client = { committed: [], closed: false }
    made.push(client)
    return {
      client: "platformatic",
      transactionalOffsets: false,
      connect: async () => undefined,
      disconnect: async () => {
        client.closed = true
      },
      send: () => Promise.reject(new Error("transactional only")),
      begin: async (): Promise<DriverTransaction> => {
        const records: Array<ProducerRecord> = []
        return {
          send: (batch) => {
            if (wedged(n)) return new Promise(() => undefined)
            records.push(...batch)
            return Promise.resolve()
          },
          sendOffsets: () => Promise.resolve(),
          commit: async () => {
            client.committed.push(records)
          },
          abort: async () => undefined
        }
      }
    }
  }
  return { made, factory }
}

const record: ProducerRecord = { topic: "webhooks", key: null, value: "v", headers: {} }
// never contacted: the factory stands in for the client
const kafka = new Kafka({ clientId: "unit", brokers: ["127.0.0.1:1"] })

describe("TransactionalProducer step deadline", () => {
  it.live("a step that never answers fails the transaction, retriable, and the client is replaced", () =>
    Effect.gen(function* () {
      const { made, factory } = clients((n) => n === 0)
      const producer = yield* makeTransactionalProducer(
        kafka,
        { client: "platformatic", transactionalId: "t", stepTimeoutMs: 50 },
        factory
      )
      yield* producer.connect
      const failure = yield* Effect.flip(producer.run([record]))
      assert.strictEqual(failure.code, STEP_TIMED_OUT)
      assert.isTrue(failure.retriable)
      assert.strictEqual(made.length, 2)
      assert.isTrue(made[0]?.closed)
      // the new client connects in the background; then transactions go through it
      yield* Effect.sleep(20)
      yield* producer.run([record])
      assert.strictEqual(made[1]?.committed.length, 1)
    }).pipe(Effect.scoped)
  )

  it.live("a client that answers is kept", () =>
    Effect.gen(function* () {
      const { made, factory } = clients(() => false)
      const producer = yield* makeTransactionalProducer(
        kafka,
        { client: "platformatic", transactionalId: "t", stepTimeoutMs: 50 },
        factory
      )
      yield* producer.connect
      for (let i = 0; i < 3; i++) yield* producer.run([record])
      yield* Effect.sleep(80)
      assert.strictEqual(made.length, 1)
      assert.strictEqual(made[0]?.committed.length, 3)
    }).pipe(Effect.scoped)
  )
})
