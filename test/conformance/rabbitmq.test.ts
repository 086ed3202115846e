/**
 * rabbitmq against the machine's RabbitMQ (RABBITMQ_URL, default guest@127.0.0.1:5672): the
 * shared conformance suite for queue and exchange targets (RabbitMQ cannot dedupe by
 * message_id, so a redelivery is a second message), then what only this destination
 * promises: message properties, unroutable and missing targets, nacks, lost connections.
 * The queue case runs through a TCP relay, which holds the broker's confirms for the
 * interruption test and cuts connections for the reconnect test.
 */
import type { Channel, ChannelModel, GetMessage } from "amqplib"
import { connect } from "amqplib"
import { Cause, Effect, Exit, Fiber, Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { idempotencyKey } from "../../src/domain/IdempotencyKey.ts"
import { freePort } from "../../src/kafka/local/freePort.ts"
import type { Destination } from "../../src/modules/Destination.ts"
import { type RabbitmqConfig, RabbitmqConnection } from "../../src/modules/rabbitmq/RabbitmqConfig.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { failed, succeeded, withDestination } from "../support/destinationHarness.ts"
import { requireService } from "../support/services.ts"
import { startTcpProxy } from "../support/tcpProxy.ts"
import { waitFor } from "../support/waitFor.ts"
import { conformance, delivery } from "./conformance.ts"

const rabbitmqDestination = await loadDestination("rabbitmq")

const server = await requireService("rabbitmq")
const closedPort = await Effect.runPromise(freePort)
const proxy = await startTcpProxy(server)

const direct = {
  type: "rabbitmq",
  host: server.host,
  port: server.port,
  user: server.username || "guest",
  password: server.password || "guest"
}
const relayed = { ...direct, host: "127.0.0.1", port: proxy.port }

// one admin connection for the whole file, so the suite's handle counts include its socket
const admin: ChannelModel = await connect(server.url)
const adminChannel: Channel = await admin.createChannel()
const queues: Array<string> = []
const exchanges: Array<string> = []

afterAll(async () => {
  const ch = await admin.createChannel()
  for (const queue of queues) await ch.deleteQueue(queue)
  for (const exchange of exchanges) await ch.deleteExchange(exchange)
  await admin.close()
  await proxy.close()
})

let names = 0
const unique = (prefix: string) => `hs-test.${prefix}.${process.pid}.${Date.now()}.${++names}`

/** a queue that expires on its own should the test die before afterAll */
const declareQueue = async (name: string, args: Record<string, unknown> = {}) => {
  queues.push(name)
  await adminChannel.assertQueue(name, { durable: true, arguments: { "x-expires": 600_000, ...args } })
}

/** every message taken from a queue so far (get removes them), so effects can be read repeatedly */
const taken = new Map<string, Array<GetMessage>>()
const drain = async (queue: string): Promise<Array<GetMessage>> => {
  const list = taken.get(queue) ?? []
  for (;;) {
    const message = await adminChannel.get(queue, { noAck: true })
    if (message === false) break
    list.push(message)
  }
  taken.set(queue, list)
  return list
}

const queueOf = (config: RabbitmqConfig) => config.queue ?? `${config.exchange}.q`

const effects = async (config: RabbitmqConfig, _connection: unknown, eventId: string) =>
  (await drain(queueOf(config))).filter(
    (m) => m.properties.messageId === idempotencyKey("conformance", eventId, "step-0")
  ).length

conformance<RabbitmqConfig, RabbitmqConnection>({
  name: "rabbitmq (queue)",
  spec: rabbitmqDestination,
  connection: relayed,
  unreachableConnection: { ...direct, port: closedPort },
  config: () => ({ queue: unique("q") }),
  badConfig: { config: { queue: "amq.mine" }, path: "queue" },
  dedupes: false,
  setup: (config) => declareQueue(config.queue ?? ""),
  effects,
  hold: async () => {
    proxy.hold()
    return { release: async () => proxy.release() }
  }
})

conformance<RabbitmqConfig, RabbitmqConnection>({
  name: "rabbitmq (exchange)",
  spec: rabbitmqDestination,
  connection: direct,
  unreachableConnection: { ...direct, port: closedPort },
  config: () => ({ exchange: unique("x"), routing_key: "orders.created" }),
  badConfig: { config: { exchange: "x", queue: "q" }, path: "exchange" },
  dedupes: false,
  setup: async (config) => {
    const exchange = config.exchange ?? ""
    exchanges.push(exchange)
    await adminChannel.assertExchange(exchange, "topic", { durable: false })
    await declareQueue(queueOf(config))
    await adminChannel.bindQueue(queueOf(config), exchange, "orders.*")
  },
  effects
})

const decodeConfig = (raw: unknown) => Schema.decodeUnknownSync(rabbitmqDestination.config)(raw)
const using = <A>(use: (destination: Destination<RabbitmqConfig>) => Promise<A>, connection: unknown = direct) =>
  withDestination(rabbitmqDestination, connection, use)

describe("rabbitmq destination", () => {
  it("publishes persistent messages with message_id, correlation_id and identifying headers", async () => {
    const queue = unique("shape")
    await declareQueue(queue)
    const config = decodeConfig({ queue, headers: { "x-tenant": "acme" }, forward_headers: ["X-Request-Id"] })
    const d = delivery(config, {
      headers: { "x-request-id": "r-1", cookie: "secret" },
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    })
    await using(async (destination) => {
      expect((await succeeded(destination, d)).detail).toBe("confirmed by the broker")
    })
    const [message, ...rest] = await drain(queue)
    expect(rest).toEqual([])
    expect(JSON.parse(message?.content.toString() ?? "")).toEqual(d.payload)
    expect(message?.properties).toMatchObject({
      messageId: d.idempotencyKey,
      correlationId: d.eventId,
      deliveryMode: 2,
      contentType: "application/json",
      appId: "hookstream",
      headers: {
        "hookstream-event-id": d.eventId,
        "hookstream-webhook-id": "conformance",
        "hookstream-idempotency-key": d.idempotencyKey,
        traceparent: d.traceparent,
        "x-tenant": "acme",
        "x-request-id": "r-1"
      }
    })
    expect(message?.properties.headers).not.toHaveProperty("cookie")
  })

  it("persistent: false publishes transient messages; base64 payloads go as raw bytes", async () => {
    const queue = unique("transient")
    await declareQueue(queue)
    const config = decodeConfig({ queue, persistent: false })
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    await using((destination) =>
      succeeded(destination, delivery(config, { payload: bytes.toString("base64"), payloadEncoding: "base64" }))
    )
    const [message] = await drain(queue)
    expect(message?.properties.deliveryMode).toBe(1)
    expect(message?.properties.contentType).toBe("application/octet-stream")
    expect(message?.content.equals(bytes)).toBe(true)
  })

  it("a missing queue is misconfigured (returned unroutable), not retryable, and nothing is left behind", async () => {
    const queue = unique("missing")
    const error = await using((destination) => failed(destination, delivery(decodeConfig({ queue }))))
    expect(error).toMatchObject({ reason: "misconfigured", retryable: false })
    expect(error.message).toContain(queue)
    // no queue was declared on the way
    const ch = await admin.createChannel()
    ch.on("error", () => {})
    await expect(ch.checkQueue(queue)).rejects.toThrow(/404/)
  })

  it("an exchange that routes the key nowhere is misconfigured", async () => {
    const exchange = unique("nowhere")
    exchanges.push(exchange)
    await adminChannel.assertExchange(exchange, "direct", { durable: false })
    const config = decodeConfig({ exchange, routing_key: "unbound" })
    const error = await using((destination) => failed(destination, delivery(config)))
    expect(error).toMatchObject({ reason: "misconfigured", retryable: false })
  })

  it("a missing exchange is misconfigured and does not take down sends to good targets", async () => {
    const queue = unique("bystander")
    await declareQueue(queue)
    const good = decodeConfig({ queue })
    const bad = decodeConfig({ exchange: unique("no-such-exchange"), routing_key: "k" })
    await using(async (destination) => {
      const results = await Promise.all([
        failed(destination, delivery(bad)),
        ...Array.from({ length: 20 }, () => succeeded(destination, delivery(good)))
      ])
      expect(results[0]).toMatchObject({ reason: "misconfigured", retryable: false })
      expect(results[0]?.message).toContain("no exchange")
      await succeeded(destination, delivery(good))
    })
    expect(await drain(queue)).toHaveLength(21)
  })

  it("a nack (queue full, overflow reject-publish) is unavailable and retryable", async () => {
    const queue = unique("full")
    await declareQueue(queue, { "x-max-length": 0, "x-overflow": "reject-publish" })
    const error = await using((destination) => failed(destination, delivery(decodeConfig({ queue }))))
    expect(error).toMatchObject({ reason: "unavailable", retryable: true })
  })

  it("a lost connection fails the send in flight retryably; the next send reconnects", async () => {
    const queue = unique("reconnect")
    await declareQueue(queue)
    const config = decodeConfig({ queue })
    await using(async (destination) => {
      await succeeded(destination, delivery(config))
      proxy.hold()
      const inFlight = failed(destination, delivery(config))
      await waitFor(async () => (await drain(queue)).length >= 2, { description: "the held message at the broker" })
      proxy.cut()
      proxy.release()
      expect((await inFlight).retryable).toBe(true)
      await succeeded(destination, delivery(config))
    }, relayed)
    expect(await drain(queue)).toHaveLength(3)
  })

  it("interruption stops waiting for a held confirm at once (not after the suite's settle bound)", async () => {
    const queue = unique("interrupt")
    await declareQueue(queue)
    const config = decodeConfig({ queue })
    await using(async (destination) => {
      await succeeded(destination, delivery(config))
      proxy.hold()
      try {
        const fiber = Effect.runFork(destination.send(delivery(config)))
        await waitFor(async () => (await drain(queue)).length >= 2, { description: "the held message at the broker" })
        const started = performance.now()
        await Effect.runPromise(Fiber.interrupt(fiber))
        expect(performance.now() - started).toBeLessThan(100)
      } finally {
        proxy.release()
      }
      // the late confirm lands on nothing, and the channel goes on
      await succeeded(destination, delivery(config))
    }, relayed)
  })

  it("wrong credentials fail make as unauthorized; an unknown vhost as misconfigured", async () => {
    const makeFailure = async (raw: unknown) => {
      const exit = await Effect.runPromiseExit(
        Effect.scoped(rabbitmqDestination.make(Schema.decodeUnknownSync(RabbitmqConnection)(raw)))
      )
      const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
      if (error?._tag !== "Some") throw new Error("expected make to fail with a DestinationError")
      return error.value
    }
    const badLogin = await makeFailure({ ...direct, password: "not-the-password" })
    expect(badLogin).toMatchObject({ reason: "unauthorized", retryable: false })
    expect(badLogin.message).not.toContain("not-the-password")
    const badVhost = await makeFailure({ ...direct, vhost: unique("vhost") })
    expect(badVhost).toMatchObject({ reason: "misconfigured", retryable: false })
  })
})
