/**
 * nats against the machine's NATS server with JetStream (NATS_URL, default 127.0.0.1:4222):
 * the shared conformance suite for JetStream (a fresh memory stream per config, messages
 * counted by their hookstream-event-id header; the stream dedupes by Nats-Msg-Id) and core
 * NATS (a subscriber counts; no dedupe), then what only this destination promises: headers,
 * duplicate acks, stream errors, dropped connections, wrong credentials and a server without
 * JetStream (a private nats-server). Both cases run through a TCP relay that holds acks.
 */
import { spawn } from "node:child_process"
import { type JetStreamManager, jetstreamManager, StorageType } from "@nats-io/jetstream"
import { connect, type Msg } from "@nats-io/transport-node"
import { Cause, Effect, Exit, Fiber, Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { freePort, isPortOpen } from "../../src/kafka/local/freePort.ts"
import type { Destination } from "../../src/modules/Destination.ts"
import { type NatsConfig, NatsConnection } from "../../src/modules/nats/NatsConfig.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { failed, succeeded, withDestination } from "../support/destinationHarness.ts"
import { requireService } from "../support/services.ts"
import { startTcpProxy } from "../support/tcpProxy.ts"
import { waitFor } from "../support/waitFor.ts"
import { conformance, delivery } from "./conformance.ts"

const natsDestination = await loadDestination("nats")

const server = await requireService("nats")
const closedPort = await Effect.runPromise(freePort)
const proxy = await startTcpProxy(server)

const direct = { type: "nats", servers: [`nats://${server.host}:${server.port}`] }
const relayed = { type: "nats", servers: [`nats://127.0.0.1:${proxy.port}`] }

// one admin connection for the whole file, so the suite's handle counts include its socket
const admin = await connect({ servers: `${server.host}:${server.port}` })
const jsm: JetStreamManager = await jetstreamManager(admin)
const streams: Array<string> = []
const coreMessages = new Map<string, Array<Msg>>()

afterAll(async () => {
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => false)
  await admin.close()
  await proxy.close()
})

let names = 0
const unique = (prefix: string) => `hs-test-${prefix}-${process.pid}-${Date.now()}-${++names}`

const addStream = async (subject: string, limits: { readonly max_msgs?: number; readonly discard?: "new" } = {}) => {
  const name = unique("stream")
  streams.push(name)
  await jsm.streams.add({ name, subjects: [subject], storage: StorageType.Memory, ...limits })
  return name
}

/** every message of the stream capturing `subject` */
const stored = async (subject: string) => {
  const name = await jsm.streams.find(subject)
  const { state } = await jsm.streams.info(name)
  const out = []
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(name, { seq })
    if (message !== null) out.push(message)
  }
  return out
}

const effects = async (config: NatsConfig, _connection: unknown, eventId: string) =>
  config.jetstream
    ? (await stored(config.subject)).filter((m) => m.header.get("hookstream-event-id") === eventId).length
    : (coreMessages.get(config.subject) ?? []).filter((m) => m.headers?.get("hookstream-event-id") === eventId).length

const hold = async () => {
  proxy.hold()
  return { release: async () => proxy.release() }
}

conformance<NatsConfig, NatsConnection>({
  name: "nats (jetstream)",
  spec: natsDestination,
  connection: relayed,
  unreachableConnection: { ...direct, servers: [`nats://127.0.0.1:${closedPort}`] },
  config: () => ({ subject: `hs.test.${unique("js")}` }),
  badConfig: { config: { subject: "orders.*" }, path: "subject" },
  dedupes: true,
  setup: async (config) => {
    await addStream(config.subject)
  },
  effects,
  hold
})

conformance<NatsConfig, NatsConnection>({
  name: "nats (core)",
  spec: natsDestination,
  connection: relayed,
  unreachableConnection: { ...direct, servers: [`nats://127.0.0.1:${closedPort}`] },
  config: () => ({ subject: `hs.test.${unique("core")}`, jetstream: false }),
  badConfig: { config: { subject: "a", jetstream: false, stream: "S" }, path: "stream" },
  dedupes: false,
  setup: async (config) => {
    admin.subscribe(config.subject, {
      callback: (_error, msg) => {
        coreMessages.set(msg.subject, [...(coreMessages.get(msg.subject) ?? []), msg])
      }
    })
    await admin.flush()
  },
  effects,
  hold
})

const decodeConfig = (raw: unknown) => Schema.decodeUnknownSync(natsDestination.config)(raw)
const using = <A>(use: (destination: Destination<NatsConfig>) => Promise<A>, connection: unknown = direct) =>
  withDestination(natsDestination, connection, use)

describe("nats destination", () => {
  it("stores the message with Nats-Msg-Id and identifying headers; a resend is acked as a duplicate", async () => {
    const subject = `hs.test.${unique("shape")}`
    const stream = await addStream(subject)
    const config = decodeConfig({ subject, headers: { "X-Tenant": "acme" } })
    const d = delivery(config, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" })
    await using(async (destination) => {
      expect((await succeeded(destination, d)).detail).toBe(`stream ${stream} seq 1`)
      expect((await succeeded(destination, { ...d, attempt: 2 })).detail).toBe(
        `duplicate: already in stream ${stream} (seq 1)`
      )
    })
    const [message, ...rest] = await stored(subject)
    expect(rest).toEqual([])
    expect(JSON.parse(new TextDecoder().decode(message?.data))).toEqual(d.payload)
    const header = (name: string) => message?.header.get(name)
    expect(header("Nats-Msg-Id")).toBe(d.idempotencyKey)
    expect(header("hookstream-event-id")).toBe(d.eventId)
    expect(header("hookstream-webhook-id")).toBe("conformance")
    expect(header("hookstream-idempotency-key")).toBe(d.idempotencyKey)
    expect(header("traceparent")).toBe(d.traceparent)
    expect(header("Content-Type")).toBe("application/json")
    expect(header("X-Tenant")).toBe("acme")
  })

  it("no stream for the subject is misconfigured; `stream:` naming another stream too", async () => {
    const missing = await using((destination) =>
      failed(destination, delivery(decodeConfig({ subject: `hs.test.${unique("nostream")}` })))
    )
    expect(missing).toMatchObject({ reason: "misconfigured", retryable: false })
    expect(missing.message).toContain("no JetStream stream captures subject")
    const subject = `hs.test.${unique("expect")}`
    const stream = await addStream(subject)
    await using(async (destination) => {
      expect(await failed(destination, delivery(decodeConfig({ subject, stream: `${stream}-other` })))).toMatchObject({
        reason: "misconfigured",
        retryable: false
      })
      await succeeded(destination, delivery(decodeConfig({ subject, stream })))
    })
  })

  it("a full stream (discard new) is unavailable and retryable", async () => {
    const subject = `hs.test.${unique("full")}`
    await addStream(subject, { max_msgs: 1, discard: "new" })
    const config = decodeConfig({ subject })
    await using(async (destination) => {
      await succeeded(destination, delivery(config))
      expect(await failed(destination, delivery(config))).toMatchObject({ reason: "unavailable", retryable: true })
    })
  })

  it("interruption stops waiting for a held ack at once", async () => {
    const subject = `hs.test.${unique("interrupt")}`
    await addStream(subject)
    const config = decodeConfig({ subject })
    await using(async (destination) => {
      await succeeded(destination, delivery(config))
      proxy.hold()
      try {
        const fiber = Effect.runFork(destination.send(delivery(config)))
        await waitFor(async () => (await stored(subject)).length === 2, { description: "the held message stored" })
        const started = performance.now()
        await Effect.runPromise(Fiber.interrupt(fiber))
        expect(performance.now() - started).toBeLessThan(100)
      } finally {
        proxy.release()
      }
      await succeeded(destination, delivery(config))
    }, relayed)
  })

  it("a dropped connection fails the send in flight and later sends at once until reconnected; the retry dedupes", async () => {
    const subject = `hs.test.${unique("dropped")}`
    await addStream(subject)
    const config = decodeConfig({ subject })
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
      expect((await failed(destination, delivery(config))).retryable).toBe(true)
      expect(performance.now() - started).toBeLessThan(100)
      await waitFor(async () => Exit.isSuccess(await Effect.runPromiseExit(destination.send(delivery(config)))), {
        description: "a send after the reconnect"
      })
      // the engine's retry of the failed send: the stream already has it
      expect((await succeeded(destination, { ...d, attempt: 2 })).detail).toMatch(/^duplicate/)
    }, relayed)
    expect(await effects(config, undefined, d.eventId)).toBe(1)
  })

  it("a private nats-server: wrong token fails make as unauthorized; without JetStream a send is unavailable", async () => {
    const port = await Effect.runPromise(freePort)
    const natsServer = spawn(
      process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server",
      ["-a", "127.0.0.1", "-p", String(port), "--auth", "right-token"],
      { stdio: "ignore" }
    )
    try {
      await waitFor(() => isPortOpen("127.0.0.1", port, 500), { description: "the private nats-server" })
      const entry = { type: "nats", servers: [`nats://127.0.0.1:${port}`] }
      const exit = await Effect.runPromiseExit(
        Effect.scoped(
          natsDestination.make(Schema.decodeUnknownSync(NatsConnection)({ ...entry, token: "wrong-token" }))
        )
      )
      const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
      if (error?._tag !== "Some") throw new Error("expected make to fail with a DestinationError")
      expect(error.value).toMatchObject({ reason: "unauthorized", retryable: false })
      expect(error.value.message).not.toContain("wrong-token")
      const noJetStream = await using(
        (destination) => failed(destination, delivery(decodeConfig({ subject: "hs.test.nojs" }))),
        { ...entry, token: "right-token" }
      )
      expect(noJetStream).toMatchObject({ reason: "unavailable", retryable: true })
    } finally {
      natsServer.kill()
    }
  })
})
