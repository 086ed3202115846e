/**
 * The KafkaJS driver's split of a send into calls that each reach one broker
 * (partitionedSend.ts), without a broker: a replicated partition gets a call of its own, the
 * single-replica partitions of one broker share one, every message carries its partition,
 * order is kept, and a topic whose partitions are not known yet is left for a probe, in order.
 * (Against brokers whose leaders moved: test/integration/kafka/producerLeaderMove.test.ts.)
 */
import type { Message, PartitionMetadata } from "kafkajs"
import { describe, expect, it } from "vitest"
import { type Call, placement, splitIntoCalls } from "../../../../src/kafka/producer/partitionedSend.ts"

const msg = (key: string, n: number): Message => ({ key, value: String(n) })

const partitions = (leaders: ReadonlyArray<number>, replicas: number): Array<PartitionMetadata> =>
  leaders.map((leader, partitionId) => ({
    partitionId,
    leader,
    partitionErrorCode: 0,
    replicas: Array.from({ length: replicas }, (_, i) => ((leader - 1 + i) % 3) + 1),
    isr: []
  }))

/** partition = the key's number modulo 3; "a" and "b" replicated three ways, "r1" single-replica, "c" unknown */
const placeOf = (topic: string, m: Message) => {
  if (topic === "c") return undefined
  const meta = topic === "r1" ? partitions([1, 2, 1], 1) : partitions([1, 2, 3], 3)
  return placement(topic, Number(String(m.key).slice(1)) % 3, meta)
}

const shape = (calls: ReadonlyArray<Call>) =>
  calls.map((call) => call.map(({ topic, messages }) => [topic, messages.map((m) => `${m.partition}:${m.value}`)]))

describe("splitIntoCalls", () => {
  it("gives each replicated partition a call of its own, each message carrying its partition, order kept", () => {
    const { calls, unplaced } = splitIntoCalls(
      [
        { topic: "a", messages: [msg("k0", 0), msg("k1", 1), msg("k3", 2), msg("k4", 3), msg("k0", 4)] },
        { topic: "b", messages: [msg("k2", 5), msg("k5", 6)] }
      ],
      placeOf
    )
    expect(unplaced).toEqual([])
    expect(shape(calls)).toEqual([[["a", ["0:0", "0:2", "0:4"]]], [["a", ["1:1", "1:3"]]], [["b", ["2:5", "2:6"]]]])
  })

  it("lets the single-replica partitions of one broker share a call (their leader never moves)", () => {
    const { calls } = splitIntoCalls([{ topic: "r1", messages: [msg("k0", 0), msg("k1", 1), msg("k2", 2)] }], placeOf)
    // partitions 0 and 2 live on broker 1 only, partition 1 on broker 2 only
    expect(shape(calls)).toEqual([[["r1", ["0:0", "2:2"]]], [["r1", ["1:1"]]]])
  })

  it("leaves the messages of a topic with unknown partitions unplaced, in order, and places the others", () => {
    const { calls, unplaced } = splitIntoCalls(
      [
        { topic: "c", messages: [msg("k0", 0), msg("k1", 1)] },
        { topic: "a", messages: [msg("k1", 2)] }
      ],
      placeOf
    )
    expect(unplaced).toEqual([{ topic: "c", messages: [msg("k0", 0), msg("k1", 1)] }])
    expect(shape(calls)).toEqual([[["a", ["1:2"]]]])
  })

  it("never lets a call reach two brokers or two replicated partitions (whatever the keys)", () => {
    const messages = Array.from({ length: 200 }, (_, i) => msg(`k${(i * 7919) % 97}`, i))
    const { calls } = splitIntoCalls(
      [
        { topic: "a", messages },
        { topic: "r1", messages }
      ],
      placeOf
    )
    expect(calls.flatMap((c) => c.flatMap((t) => t.messages)).length).toBe(400)
    for (const call of calls) {
      const places = call.flatMap(({ topic, messages }) => messages.map((m) => placeOf(topic, m)?.call ?? "unplaced"))
      expect(new Set(places).size).toBe(1)
    }
  })
})
