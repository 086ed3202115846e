import { describe, expect, it } from "vitest"
import { RabbitmqConfig } from "../../../src/modules/rabbitmq/RabbitmqConfig.ts"
import { decode } from "./decode.ts"

describe("rabbitmq config", () => {
  it("publishes to an exchange with a routing key, or to a queue", () => {
    expect(decode(RabbitmqConfig, { exchange: "payments", routing_key: "settled" }).value).toMatchObject({
      persistent: true
    })
    expect(decode(RabbitmqConfig, { queue: "jobs" }).problems).toEqual([])
    expect(decode(RabbitmqConfig, {}).problems).toEqual([": needs exchange (with routing_key) or queue"])
    expect(decode(RabbitmqConfig, { exchange: "e", queue: "q" }).problems).toEqual([
      ": give either exchange or queue, not both"
    ])
    expect(decode(RabbitmqConfig, { queue: "q", routing_key: "r" }).problems).toEqual([
      ": routing_key applies to exchange; a queue is addressed by its name"
    ])
    expect(decode(RabbitmqConfig, { queue: "amq.gen" }).problems).toEqual([
      "queue: 'amq.gen' starts with 'amq.', which RabbitMQ reserves"
    ])
  })
})
