/**
 * The kit's producer settings, checked on KafkaJS itself (no broker: KafkaJS validates and
 * warns when a producer is made). A client made with finite retries (as makeKafka makes every
 * client) used to hand them to each idempotent producer, which KafkaJS answers with "Limiting
 * retries for the idempotent producer may invalidate EoS guarantees" on every `hookstream
 * send` and kafka destination: the kit's settings replace them.
 */
import { Kafka, type LogEntry, logLevel, Partitioners } from "kafkajs"
import { describe, expect, it } from "vitest"
import { kafkajsDriver } from "../../../../src/kafka/producer/kafkajsDriver.ts"
import { kafkajsProducerConfig, retryDelayMs } from "../../../../src/kafka/producer/producerSettings.ts"

const warnings = () => {
  const lines: Array<string> = []
  const kafka = new Kafka({
    clientId: "settings-test",
    brokers: ["127.0.0.1:9"],
    // finite, as makeKafka's default
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (entry.level <= logLevel.WARN) lines.push(entry.log.message)
    }
  })
  return { kafka, lines }
}

describe("producer settings", () => {
  it("idempotent producers made with the kit's settings draw no warning from KafkaJS", () => {
    const { kafka, lines } = warnings()
    kafkajsDriver(kafka)
    kafkajsDriver(kafka, { transactionalId: "t" })
    kafka.producer(kafkajsProducerConfig({}))
    expect(lines).toEqual([])
  })

  it("the settings the project had before (idempotent, the client's retries) do draw it", () => {
    const { kafka, lines } = warnings()
    kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
    expect(lines).toEqual(["Limiting retries for the idempotent producer may invalidate EoS guarantees"])
  })

  it("idempotent, one request in flight, retries without limit, Java's partitioner; transactional on demand", () => {
    const plain = kafkajsProducerConfig({})
    expect(plain).toMatchObject({ idempotent: true, maxInFlightRequests: 1 })
    expect(plain.retry?.retries).toBe(Number.MAX_SAFE_INTEGER)
    expect(plain.createPartitioner).toBe(Partitioners.DefaultPartitioner)
    expect(plain.transactionalId).toBeUndefined()
    expect(kafkajsProducerConfig({ transactionalId: "x" })).toMatchObject({
      transactionalId: "x",
      transactionTimeout: 60_000
    })
  })

  it("retries after 5 ms, doubling, at most 2 s", () => {
    expect([1, 2, 3, 4, 9, 10, 50].map(retryDelayMs)).toEqual([5, 10, 20, 40, 1_280, 2_000, 2_000])
  })
})
