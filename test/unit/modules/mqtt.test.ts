import { describe, expect, it } from "vitest"
import { MqttConfig, MqttConnection } from "../../../src/modules/mqtt/MqttConfig.ts"
import { decode } from "./decode.ts"

describe("mqtt config", () => {
  it("publishes to a topic without wildcards, QoS 0-2 (default 1)", () => {
    expect(decode(MqttConfig, { topic: "shop/payments" }).value).toEqual({
      topic: "shop/payments",
      qos: 1,
      retained: false
    })
    expect(decode(MqttConfig, { topic: "a/+/b" }).problems[0]).toMatch(
      /^topic: expected an MQTT topic .* without wildcards/
    )
    expect(decode(MqttConfig, { topic: "$SYS/x" }).problems).toEqual([
      "topic: '$SYS/x' starts with '$', which MQTT reserves for broker topics"
    ])
    expect(decode(MqttConfig, { topic: "t", qos: 3 }).problems).toEqual(["qos: expected one of 0, 1, 2, got 3"])
    expect(decode(MqttConfig, { topic: "t", qos: true }).problems).toEqual([
      "qos: expected one of 0, 1, 2, got true (booleans are not numbers)"
    ])
  })

  it("connections speak protocol 4 or 5", () => {
    expect(decode(MqttConnection, { type: "mqtt", host: "h" }).value).toMatchObject({ port: 1883, protocol_version: 4 })
    expect(decode(MqttConnection, { type: "mqtt", host: "h", protocol_version: 3 }).problems).toEqual([
      "protocol_version: expected one of 4, 5, got 3"
    ])
  })
})
