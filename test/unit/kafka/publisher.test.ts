/**
 * The outcome publisher tells every caller of a batch that Kafka has its records, even when
 * one caller's callback throws (a bug of ours): that is reported, and the publishing fiber
 * goes on with the next batch instead of dying with every later ack never coming.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makePublisher } from "../../../src/kafka/Publisher.ts"
import type { ProducerRecord } from "../../../src/kafka/producer/ProducerDriver.ts"

const rec = (value: string): ProducerRecord => ({ topic: "results", key: null, value, headers: {} })

describe("Publisher", () => {
  it.live("a throwing ack is reported; the batch's other acks and later batches still come", () =>
    Effect.gen(function* () {
      const sent: Array<string> = []
      const threw: Array<string> = []
      const publisher = yield* makePublisher(
        {
          send: (records) =>
            Effect.sync(() => {
              for (const r of records) sent.push(String(r.value))
              return records.map((r, i) => ({ topic: r.topic, partition: 0, offset: String(i) }))
            })
        },
        { onAckThrew: (e) => threw.push(String(e)) }
      )
      const acked: Array<string> = []
      publisher.publish([rec("a")], () => {
        throw new Error("bug")
      })
      publisher.publish([rec("b")], () => acked.push("b"))
      yield* Effect.sleep(20)
      publisher.publish([rec("c")], () => acked.push("c"))
      yield* Effect.sleep(20)
      assert.deepStrictEqual(sent, ["a", "b", "c"])
      assert.deepStrictEqual(acked, ["b", "c"])
      assert.deepStrictEqual(threw, ["Error: bug"])
    }).pipe(Effect.scoped)
  )
})
