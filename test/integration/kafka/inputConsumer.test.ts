/**
 * The input consumer's pause/resume/seek while KafkaJS has no consumer group: before the
 * consumer runs, as between a crash and KafkaJS's restart of it (a broker restart can exhaust
 * its retries). KafkaJS throws then; the port does nothing, so a shutdown that pauses its
 * partitions at that moment still drains, commits and exits 0 (chaos rolling_restart saw a
 * processor exit 1 on SIGTERM). Real broker.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { HANDOVER_SLICE, makeInputConsumer } from "../../../src/kafka/InputConsumer.ts"
import { createTopics, testKafka, uniqueName } from "../../support/kafka.ts"

describe("the input consumer without a group", () => {
  it("pauses, resumes and seeks as no-ops, where KafkaJS itself throws", async () => {
    const kafka = testKafka("input-consumer-test")
    const topic = uniqueName("input-no-group")
    await createTopics(kafka, [{ topic, numPartitions: 2 }])
    const groupId = uniqueName("group")

    const raw = kafka.consumer({ groupId })
    expect(() => raw.pause([{ topic, partitions: [0] }])).toThrow(/not initialized/)

    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const consumer = yield* makeInputConsumer(kafka, { groupId, topic })
          consumer.pause([0, 1])
          consumer.resume([0])
          consumer.seek(1, 0)
          yield* consumer.stop
        })
      )
    )
  })
})

describe("the input consumer's hand-over", () => {
  it(`hands a large fetch over in slices of ${HANDOVER_SLICE}, letting the event loop turn in between`, async () => {
    const kafka = testKafka("input-consumer-slices")
    const topic = uniqueName("input-slices")
    await createTopics(kafka, [{ topic, numPartitions: 1 }])
    const count = HANDOVER_SLICE * 5
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `v${i}` })) })
    await producer.disconnect()

    // per hand-over: how many records it offered, and how many event-loop turns (setImmediate) had run before it
    const offers: Array<{ readonly offered: number; readonly turns: number }> = []
    let turns = 0
    let taken = 0
    const ticker = setInterval(() => undefined, 1_000)
    const turn = () => {
      turns++
      if (taken < count) setImmediate(turn)
    }
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const consumer = yield* makeInputConsumer(kafka, { groupId: uniqueName("group"), topic })
          const all = yield* Effect.promise(
            () =>
              new Promise<void>((resolve) => {
                Effect.runFork(
                  consumer.start({
                    onRecords: (_partition, _records, from, to) => {
                      if (offers.length === 0) setImmediate(turn)
                      offers.push({ offered: to - from, turns })
                      taken += to - from
                      if (taken >= count) resolve()
                      return to - from
                    },
                    waitForRoom: async () => true,
                    onAssignment: () => undefined,
                    onRebalancing: () => undefined,
                    onCrash: () => undefined
                  })
                )
              })
          )
          yield* consumer.stop
          return all
        })
      )
    )
    clearInterval(ticker)
    expect(taken).toBe(count)
    // never more than a slice at once, and the first fetch held more than one slice
    expect(Math.max(...offers.map((o) => o.offered))).toBe(HANDOVER_SLICE)
    expect(offers.filter((o) => o.offered === HANDOVER_SLICE).length).toBeGreaterThan(1)
    // the loop turned between consecutive slices of one fetch
    for (let i = 1; i < offers.length; i++) expect(offers[i]?.turns).toBeGreaterThan(offers[i - 1]?.turns ?? -1)
  })
})
