import { describe, expect, it } from "vitest"
import { KafkaConfig, KafkaConnection } from "../../../src/modules/kafka/KafkaConfig.ts"
import { decode } from "./decode.ts"

describe("kafka config", () => {
  it("validates topic names", () => {
    expect(decode(KafkaConfig, { topic: "order-events.v1" }).problems).toEqual([])
    expect(decode(KafkaConfig, { topic: "a".repeat(249) }).problems).toEqual([])
    for (const topic of ["", "a b", "a".repeat(250), "ä"]) {
      expect(decode(KafkaConfig, { topic }).problems[0]).toMatch(/^topic: expected a Kafka topic name/)
    }
    expect(decode(KafkaConfig, { topic: ".." }).problems).toEqual(["topic: '..' is not a valid Kafka topic name"])
  })

  it("takes a key template or a key pointer, not both", () => {
    expect(decode(KafkaConfig, { topic: "t", key: "{webhook_id}:{event_id}" }).problems).toEqual([])
    expect(decode(KafkaConfig, { topic: "t", key_from: "/customer/id" }).problems).toEqual([])
    expect(decode(KafkaConfig, { topic: "t", key: "{customer}" }).problems).toEqual([
      "key: unknown placeholder {customer} in key (allowed: {event_id}, {webhook_id}, {key})"
    ])
    expect(decode(KafkaConfig, { topic: "t", key_from: "customer" }).problems).toEqual([
      "key_from: expected a JSON Pointer such as /customer/id, got 'customer'"
    ])
    expect(decode(KafkaConfig, { topic: "t", key: "k", key_from: "/k" }).problems).toEqual([
      ": give either key or key_from, not both"
    ])
  })

  it("needs brokers on the connection; sasl passwords are secret", () => {
    expect(decode(KafkaConnection, { type: "kafka" }).problems).toEqual(["brokers: missing required key 'brokers'"])
    const value = decode(KafkaConnection, {
      type: "kafka",
      brokers: ["[::1]:9092", "kafka.internal:9093"],
      ssl: true,
      sasl: { mechanism: "scram-sha-512", username: "u", password: "hunter2" }
    })
    expect(value.problems).toEqual([])
    expect(JSON.stringify(value.value)).not.toContain("hunter2")
    expect(decode(KafkaConnection, { type: "kafka", brokers: ["host:0"] }).problems).toEqual([
      "brokers.0: expected host:port such as 127.0.0.1:9092, got 'host:0'"
    ])
  })
})
