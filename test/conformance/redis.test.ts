/**
 * redis against the machine's Redis (REDIS_URL, default 127.0.0.1:6379): the shared
 * conformance suite for each mode (list and stream dedupe, publish cannot), then what only
 * this destination promises (message shape, MAXLEN, the dedupe guard's edges, error reasons).
 */
import { Cause, Effect, Exit, Fiber, Schema, Scope } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { DestinationError } from "../../src/domain/DestinationError.ts"
import { freePort } from "../../src/kafka/local/freePort.ts"
import type { Destination } from "../../src/modules/Destination.ts"
import { type RedisConfig, RedisConnection } from "../../src/modules/redis/RedisConfig.ts"
import { loadDestination } from "../../src/modules/registry.ts"
import { requireService } from "../support/services.ts"
import { waitFor } from "../support/waitFor.ts"
import { conformance, delivery } from "./conformance.ts"

const redisDestination = await loadDestination("redis")

const server = await requireService("redis")
const closedPort = await Effect.runPromise(freePort)

const connection = {
  type: "redis",
  host: server.host,
  port: server.port,
  ...(server.password === "" ? {} : { password: server.password })
}

// both clients live for the whole file, so the suite's handle counts include their sockets
const reader = new Redis({ host: server.host, port: server.port, lazyConnect: true })
const subscriber = new Redis({ host: server.host, port: server.port, lazyConnect: true })
await reader.connect()
await subscriber.connect()
const published = new Map<string, Array<Record<string, unknown>>>()
subscriber.on("message", (channel: string, text: string) => {
  published.set(channel, [...(published.get(channel) ?? []), JSON.parse(text) as Record<string, unknown>])
})
const keys: Array<string> = []

afterAll(async () => {
  if (keys.length > 0) await reader.del(...keys)
  await reader.quit()
  await subscriber.quit()
})

let names = 0
const unique = (prefix: string) => {
  const name = `hs-test:${prefix}:${process.pid}:${Date.now()}:${++names}`
  keys.push(name)
  return name
}

const listItems = async (key: string) =>
  (await reader.lrange(key, 0, -1)).map((text) => JSON.parse(text) as Record<string, unknown>)

const streamEntries = async (stream: string) =>
  (await reader.xrange(stream, "-", "+")).map(([id, fields]) => {
    const entry: Record<string, string> = { id }
    for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i] ?? ""] = fields[i + 1] ?? ""
    return entry
  })

const effects = async (config: RedisConfig, eventId: string): Promise<number> => {
  switch (config.mode) {
    case "list":
      return (await listItems(config.key ?? "")).filter((item) => item.event_id === eventId).length
    case "stream":
      return (await streamEntries(config.stream ?? "")).filter((entry) => entry.event_id === eventId).length
    case "publish":
      return (published.get(config.channel ?? "") ?? []).filter((message) => message.event_id === eventId).length
  }
}

/** CLIENT PAUSE … WRITE from another client: reads go on, every write waits (bounded by the pause) */
const hold = async () => {
  await reader.call("CLIENT", "PAUSE", "10000", "WRITE")
  return {
    release: async () => {
      await reader.call("CLIENT", "UNPAUSE")
    }
  }
}

const base = {
  spec: redisDestination,
  connection,
  unreachableConnection: { ...connection, port: closedPort },
  effects: (config: RedisConfig, _connection: RedisConnection | undefined, eventId: string) => effects(config, eventId),
  hold
}

conformance<RedisConfig, RedisConnection>({
  ...base,
  name: "redis (list)",
  config: () => ({ mode: "list", key: unique("list"), dedupe_ttl: "60s" }),
  badConfig: { config: { mode: "list", stream: "s" }, path: "key" },
  dedupes: true
})

conformance<RedisConfig, RedisConnection>({
  ...base,
  name: "redis (stream)",
  config: () => ({ mode: "stream", stream: unique("stream"), maxlen: 1000, dedupe_ttl: "60s" }),
  badConfig: { config: { mode: "stream", stream: "s", maxlen: 0 }, path: "maxlen" },
  dedupes: true
})

conformance<RedisConfig, RedisConnection>({
  ...base,
  name: "redis (publish)",
  config: () => ({ mode: "publish", channel: unique("channel") }),
  badConfig: { config: { mode: "publish", channel: "has space" }, path: "channel" },
  dedupes: false,
  setup: async (config) => {
    await subscriber.subscribe(config.channel ?? "")
  }
})

const decodeConfig = (raw: unknown) => Schema.decodeUnknownSync(redisDestination.config)(raw)

const withDestination = async <A>(
  use: (destination: Destination<RedisConfig>) => Promise<A>,
  rawConnection: unknown = connection
): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const decoded = Schema.decodeUnknownSync(RedisConnection)(rawConnection)
    const destination = await Effect.runPromise(redisDestination.make(decoded).pipe(Scope.provide(scope)))
    return await use(destination)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const sent = async (destination: Destination<RedisConfig>, d: ReturnType<typeof delivery<RedisConfig>>) => {
  const exit = await Effect.runPromiseExit(destination.send(d))
  if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
  return exit.value
}

const failureOf = (exit: Exit.Exit<unknown, DestinationError>): DestinationError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got a success")
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag !== "Some") throw new Error(`expected a DestinationError, got ${Cause.pretty(exit.cause)}`)
  expect(error.value).toBeInstanceOf(DestinationError)
  return error.value
}

describe("redis destination", () => {
  it("stream entries carry event_id, webhook_id, idempotency_key, payload and headers", async () => {
    const config = decodeConfig({ mode: "stream", stream: unique("fields"), include_headers: true })
    const d = delivery(config, { headers: { "x-trace": "abc" } })
    await withDestination(async (destination) => {
      expect((await sent(destination, d)).detail).toMatch(/^added to .* as \d+-\d+$/)
    })
    const [entry, ...rest] = await streamEntries(config.stream ?? "")
    expect(rest).toEqual([])
    expect(entry).toMatchObject({
      event_id: d.eventId,
      webhook_id: "conformance",
      idempotency_key: d.idempotencyKey,
      payload: JSON.stringify(d.payload),
      headers: JSON.stringify({ "x-trace": "abc" })
    })
  })

  it("stream maxlen trims the stream to about that many entries", async () => {
    const config = decodeConfig({ mode: "stream", stream: unique("capped"), maxlen: 10 })
    await withDestination(async (destination) => {
      await Effect.runPromise(
        Effect.forEach(Array.from({ length: 500 }), () => destination.send(delivery(config)), { concurrency: 32 })
      )
    })
    const length = await reader.xlen(config.stream ?? "")
    expect(length).toBeGreaterThanOrEqual(10)
    expect(length).toBeLessThan(500)
  })

  it("the dedupe guard outlives the client and expires with dedupe_ttl", async () => {
    const config = decodeConfig({ mode: "list", key: unique("ttl"), dedupe_ttl: "30s" })
    const d = delivery(config)
    await withDestination(async (destination) => {
      expect((await sent(destination, d)).detail).toBe(`pushed onto ${config.key}`)
    })
    // a restarted process (a new client) still finds the key
    await withDestination(async (destination) => {
      expect((await sent(destination, { ...d, attempt: 2 })).detail).toBe(
        `already pushed onto ${config.key} (same idempotency key)`
      )
    })
    const guard = `hookstream:dedupe:list:${config.key}:${d.idempotencyKey}`
    keys.push(guard)
    const ttl = await reader.pttl(guard)
    expect(ttl).toBeGreaterThan(20_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
    expect(await effects(config, d.eventId)).toBe(1)
  })

  it("WRONGTYPE is misconfigured and remembers nothing: the same event goes through once the key is fixed", async () => {
    const key = unique("wrongtype")
    await reader.set(key, "a string")
    const config = decodeConfig({ mode: "list", key })
    const d = delivery(config)
    await withDestination(async (destination) => {
      const error = failureOf(await Effect.runPromiseExit(destination.send(d)))
      expect(error).toMatchObject({ reason: "misconfigured", retryable: false })
      expect(error.message).toContain("WRONGTYPE")
      await reader.del(key)
      expect((await sent(destination, { ...d, attempt: 2 })).detail).toBe(`pushed onto ${key}`)
    })
    keys.push(`hookstream:dedupe:list:${key}:${d.idempotencyKey}`)
    expect(await effects(config, d.eventId)).toBe(1)
  })

  it("publish reports how many subscribers got the message", async () => {
    const channel = unique("count")
    await subscriber.subscribe(channel)
    const config = decodeConfig({ mode: "publish", channel })
    await withDestination(async (destination) => {
      expect((await sent(destination, delivery(config))).detail).toBe(`published to ${channel} (1 subscribers)`)
    })
  })

  it("a wrong user or password is unauthorized (not retryable) and never echoed", async () => {
    const config = decodeConfig({ mode: "list", key: unique("auth") })
    await withDestination(
      async (destination) => {
        const error = failureOf(await Effect.runPromiseExit(destination.send(delivery(config))))
        expect(error).toMatchObject({ reason: "unauthorized", retryable: false })
        expect(error.message).not.toContain("hunter2")
      },
      { ...connection, username: "no_such_user_hs", password: "hunter2" }
    )
  })

  it("an interrupted send stops waiting; the paused command may land later, and the guard keeps it single", async () => {
    const config = decodeConfig({ mode: "list", key: unique("paused") })
    const d = delivery(config)
    await withDestination(async (destination) => {
      await sent(destination, delivery(config))
      const held = await hold()
      try {
        const fiber = Effect.runFork(destination.send(d))
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
        const started = Date.now()
        await Effect.runPromise(Fiber.interrupt(fiber))
        expect(Date.now() - started).toBeLessThan(500)
      } finally {
        await held.release()
      }
      await waitFor(async () => (await effects(config, d.eventId)) === 1)
      expect((await sent(destination, { ...d, attempt: 2 })).detail).toBe(
        `already pushed onto ${config.key} (same idempotency key)`
      )
    })
    keys.push(`hookstream:dedupe:list:${config.key}:${d.idempotencyKey}`)
    expect(await effects(config, d.eventId)).toBe(1)
  })
})
