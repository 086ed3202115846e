/**
 * The input consumer's pause/resume/seek while KafkaJS has no consumer group: before the
 * consumer runs, as between a crash and KafkaJS's restart of it (a broker restart can exhaust
 * its retries). KafkaJS throws then; the port does nothing, so a shutdown that pauses its
 * partitions at that moment still drains, commits and exits 0 (chaos rolling_restart saw a
 * processor exit 1 on SIGTERM). Real broker.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeInputConsumer } from "../../../src/kafka/InputConsumer.ts"
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
