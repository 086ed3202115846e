/**
 * mqtt against the machine's Mosquitto (MQTT_URL, default 127.0.0.1:1883, anonymous): the
 * shared conformance suite with MQTT 5 (a subscriber on the unique topic counts messages by
 * their hookstream-event-id user property; MQTT has no dedupe), then what only this
 * destination promises: QoS levels, retain, MQTT 3.1.1, failing fast while disconnected,
 * no resend of a withdrawn publish, wrong credentials (on a private password-protected
 * Mosquitto). The suite runs through a TCP relay that holds the broker's acks.
 */
import { spawn } from "node:child_process"
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Cause, Effect, Exit, Fiber, Schema } from "effect"
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt"
import { afterAll, describe, expect, it } from "vitest"
import { freePort, isPortOpen } from "../../src/kafka/local/freePort.ts"
import type { Destination } from "../../src/modules/Destination.ts"
import { type MqttConfig, MqttConnection } from "../../src/modules/mqtt/MqttConfig.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { failed, succeeded, withDestination } from "../support/destinationHarness.ts"
import { requireService } from "../support/services.ts"
import { startTcpProxy } from "../support/tcpProxy.ts"
import { waitFor } from "../support/waitFor.ts"
import { conformance, delivery } from "./conformance.ts"

const mqttDestination = await loadDestination("mqtt")

const server = await requireService("mosquitto")
const closedPort = await Effect.runPromise(freePort)
const proxy = await startTcpProxy(server)

const direct = { type: "mqtt", host: server.host, port: server.port, protocol_version: 5 }
const relayed = { ...direct, host: "127.0.0.1", port: proxy.port }

// one subscriber for the whole file, so the suite's handle counts include its socket
const subscriber: MqttClient = await mqtt.connectAsync({
  host: server.host,
  port: server.port,
  protocolVersion: 5,
  reconnectPeriod: 0
})
const received = new Map<string, Array<IPublishPacket>>()
subscriber.on("message", (topic, _payload, packet) => {
  received.set(topic, [...(received.get(topic) ?? []), packet])
})

afterAll(async () => {
  await subscriber.endAsync()
  await proxy.close()
})

let names = 0
const unique = (prefix: string) => `hs-test/${prefix}/${process.pid}/${Date.now()}/${++names}`
const subscribe = async (topic: string) => {
  await subscriber.subscribeAsync(topic, { qos: 2 })
}
const eventIdOf = (packet: IPublishPacket) => packet.properties?.userProperties?.["hookstream-event-id"]
const effects = async (config: MqttConfig, _connection: unknown, eventId: string) =>
  (received.get(config.topic) ?? []).filter((packet) => eventIdOf(packet) === eventId).length

conformance<MqttConfig, MqttConnection>({
  name: "mqtt",
  spec: mqttDestination,
  connection: relayed,
  unreachableConnection: { ...direct, port: closedPort },
  config: () => ({ topic: unique("conf") }),
  badConfig: { config: { topic: "sensors/+/temp" }, path: "topic" },
  dedupes: false,
  setup: (config) => subscribe(config.topic),
  effects,
  hold: async () => {
    proxy.hold()
    return { release: async () => proxy.release() }
  }
})

const decodeConfig = (raw: unknown) => Schema.decodeUnknownSync(mqttDestination.config)(raw)
const using = <A>(use: (destination: Destination<MqttConfig>) => Promise<A>, connection: unknown = direct) =>
  withDestination(mqttDestination, connection, use)

describe("mqtt destination", () => {
  it("MQTT 5: JSON payload with content type and identifying user properties", async () => {
    const topic = unique("shape")
    await subscribe(topic)
    const d = delivery(decodeConfig({ topic }), {
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    })
    await using(async (destination) => {
      expect((await succeeded(destination, d)).detail).toBe("PUBACK")
    })
    await waitFor(() => (received.get(topic) ?? []).length === 1)
    const [packet] = received.get(topic) ?? []
    expect(JSON.parse(packet?.payload.toString() ?? "")).toEqual(d.payload)
    expect(packet?.qos).toBe(1)
    expect(packet?.properties).toMatchObject({
      contentType: "application/json",
      payloadFormatIndicator: true,
      userProperties: {
        "hookstream-event-id": d.eventId,
        "hookstream-webhook-id": "conformance",
        "hookstream-idempotency-key": d.idempotencyKey,
        traceparent: d.traceparent
      }
    })
  })

  it("QoS 2 resolves on PUBCOMP, QoS 0 once written; MQTT 3.1.1 sends the bare payload", async () => {
    const topic = unique("qos")
    await subscribe(topic)
    await using(async (destination) => {
      expect((await succeeded(destination, delivery(decodeConfig({ topic, qos: 2 })))).detail).toBe("PUBCOMP")
      expect((await succeeded(destination, delivery(decodeConfig({ topic, qos: 0 })))).detail).toMatch(/QoS 0/)
    })
    await using(
      async (destination) => {
        await succeeded(destination, delivery(decodeConfig({ topic })))
      },
      { ...direct, protocol_version: 4 }
    )
    await waitFor(() => (received.get(topic) ?? []).length === 3)
    const packets = received.get(topic) ?? []
    expect(packets.map((p) => p.qos).sort()).toEqual([0, 1, 2])
    const v4 = packets.filter((p) => eventIdOf(p) === undefined)
    expect(v4).toHaveLength(1)
    expect(JSON.parse(v4[0]?.payload.toString() ?? "")).toMatchObject({ note: "conformance" })
  })

  it("more QoS 2 sends at once than the broker's Receive Maximum all succeed (no 'Quota exceeded')", async () => {
    const topic = unique("window")
    await subscribe(topic)
    const config = decodeConfig({ topic, qos: 2 })
    await using(async (destination) => {
      const exit = await Effect.runPromiseExit(
        Effect.forEach(Array.from({ length: 200 }), () => destination.send(delivery(config)), { concurrency: 64 })
      )
      expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
    })
    await waitFor(() => (received.get(topic) ?? []).length === 200)
  })

  it("retained: a subscriber that comes later still gets the message", async () => {
    const topic = unique("retained")
    const d = delivery(decodeConfig({ topic, retained: true }))
    await using((destination) => succeeded(destination, d))
    const late = await mqtt.connectAsync({ host: server.host, port: server.port, protocolVersion: 5 })
    try {
      const got = new Promise<IPublishPacket>((resolve) => late.on("message", (_t, _p, packet) => resolve(packet)))
      await late.subscribeAsync(topic, { qos: 1 })
      const packet = await got
      expect(packet.retain).toBe(true)
      expect(eventIdOf(packet)).toBe(d.eventId)
      // clear the retained message
      await late.publishAsync(topic, "", { retain: true, qos: 1 })
    } finally {
      await late.endAsync()
    }
  })

  it("interruption stops waiting for a held PUBACK at once", async () => {
    const topic = unique("interrupt")
    await subscribe(topic)
    const config = decodeConfig({ topic })
    await using(async (destination) => {
      await succeeded(destination, delivery(config))
      proxy.hold()
      try {
        const fiber = Effect.runFork(destination.send(delivery(config)))
        await waitFor(() => (received.get(topic) ?? []).length === 2, { description: "the held publish at the broker" })
        const started = performance.now()
        await Effect.runPromise(Fiber.interrupt(fiber))
        expect(performance.now() - started).toBeLessThan(100)
      } finally {
        proxy.release()
      }
      await succeeded(destination, delivery(config))
    }, relayed)
  })

  it("a dropped connection fails the publish in flight (not resent later) and later sends at once until reconnected", async () => {
    const topic = unique("dropped")
    await subscribe(topic)
    const config = decodeConfig({ topic })
    const d = delivery(config)
    await using(async (destination) => {
      await succeeded(destination, delivery(config))
      proxy.hold()
      const inFlight = failed(destination, d)
      await waitFor(async () => (await effects(config, undefined, d.eventId)) === 1)
      proxy.cut()
      proxy.release()
      expect(await inFlight).toMatchObject({ reason: "unreachable", retryable: true })
      const started = performance.now()
      expect(await failed(destination, delivery(config))).toMatchObject({ reason: "unreachable", retryable: true })
      expect(performance.now() - started).toBeLessThan(100)
      // the client reconnects on its own
      await waitFor(async () => Exit.isSuccess(await Effect.runPromiseExit(destination.send(delivery(config)))), {
        description: "a send after the reconnect"
      })
      await succeeded(destination, delivery(config))
    }, relayed)
    expect(await effects(config, undefined, d.eventId)).toBe(1)
  })

  it("wrong credentials fail make as unauthorized (a private Mosquitto with a password file)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookstream-mosquitto-"))
    chmodSync(dir, 0o755)
    const port = await Effect.runPromise(freePort)
    const passwords = join(dir, "passwords")
    await new Promise<void>((resolve, reject) =>
      spawn("mosquitto_passwd", ["-b", "-c", passwords, "hookstream", "right-password"], { stdio: "inherit" })
        .on("error", reject)
        .on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_passwd exited ${code}`))))
    )
    writeFileSync(
      join(dir, "mosquitto.conf"),
      `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwords}\npersistence false\nlog_dest none\n`
    )
    const broker = spawn(process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto", ["-c", join(dir, "mosquitto.conf")], {
      stdio: "ignore"
    })
    try {
      await waitFor(() => isPortOpen("127.0.0.1", port, 500), { description: "the private Mosquitto" })
      const entry = { type: "mqtt", host: "127.0.0.1", port, username: "hookstream" }
      for (const protocol_version of [4, 5]) {
        const exit = await Effect.runPromiseExit(
          Effect.scoped(
            mqttDestination.make(
              Schema.decodeUnknownSync(MqttConnection)({ ...entry, protocol_version, password: "wrong-password" })
            )
          )
        )
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
        if (error?._tag !== "Some") throw new Error("expected make to fail with a DestinationError")
        expect(error.value).toMatchObject({ reason: "unauthorized", retryable: false })
        expect(error.value.message).not.toContain("wrong-password")
      }
      const topic = unique("auth")
      await using((destination) => succeeded(destination, delivery(decodeConfig({ topic }))), {
        ...entry,
        password: "right-password"
      })
    } finally {
      broker.kill()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
