/**
 * redis: publishes to a channel (publish), pushes onto a list (list, RPUSH: consumers pop
 * from the left for FIFO) or appends to a stream (stream, XADD, capped with MAXLEN ~ when
 * `maxlen` is set). Connection required. Every message carries event_id, webhook_id,
 * idempotency_key and payload (JSON text), plus headers when include_headers and
 * payload_encoding when the payload is base64: list and publish send them as one JSON
 * object, stream as entry fields.
 *
 * - One ioredis client (pure JS) per connection, connecting on first use, QUIT when the
 *   scope closes. With `url`, the database is the URL's path (`db` applies to host/port).
 *   Cluster is not supported.
 * - Dedupe: list and stream modes remember each idempotency key for `dedupe_ttl`
 *   (`hookstream:dedupe:<mode>:<target>:<key>`, SET NX PX) and push in the same Lua script,
 *   so a redelivery within the TTL pushes nothing. Publish is fire-and-forget and cannot
 *   dedupe: each send reaches the subscribers connected at that moment at most once, a
 *   redelivery is published again, and with nobody subscribed the message is gone (the
 *   receipt says how many subscribers PUBLISH reached).
 * - Interruption: a Redis command cannot be withdrawn once written, so an interrupted send
 *   stops waiting and leaves nothing of its own behind (no socket or timer: the client is
 *   shared); the command may still run later (e.g. after a CLIENT PAUSE ends), which the
 *   dedupe guard makes harmless for list and stream.
 * - Failing fast while the server is down: a command waits for at most one reconnection
 *   (maxRetriesPerRequest: 1), then fails `unreachable` for the engine to retry.
 * - Errors: redis/redisError.ts.
 */

import { Effect, Redacted } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { type DestinationError, destinationError } from "../domain/DestinationError.ts"
import { abortable, abortedError } from "./abortable.ts"
import type { Delivery, DestinationRuntime, Receipt } from "./Destination.ts"
import type { RedisConfig, RedisConnection } from "./redis/RedisConfig.ts"
import { redisError } from "./redis/redisError.ts"
import { listPush, type RedisScript, streamAdd } from "./redis/redisScripts.ts"

const CONNECT_TIMEOUT_MS = 5_000
const QUIT_WITHIN_MS = 1_000

// ioredis types the reply shape from the options: say which one
const clientOptions = (connection: RedisConnection): RedisOptions & { replyMapping: "legacy" } => ({
  ...(connection.url === undefined
    ? {
        host: connection.host ?? "",
        port: connection.port,
        db: connection.db,
        ...(connection.username === undefined ? {} : { username: connection.username }),
        ...(connection.password === undefined ? {} : { password: Redacted.value(connection.password) })
      }
    : {}),
  ...(connection.tls ? { tls: {} } : {}),
  lazyConnect: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  maxRetriesPerRequest: 1,
  retryStrategy: (times) => Math.min(times * 100, 2_000),
  connectionName: "hookstream",
  replyMapping: "legacy"
})

const createClient = (connection: RedisConnection): Redis => {
  const options = clientOptions(connection)
  const client = connection.url === undefined ? new Redis(options) : new Redis(Redacted.value(connection.url), options)
  // connection errors surface on the commands they fail; the event alone is noise
  client.on("error", () => undefined)
  return client
}

const closeClient = async (client: Redis): Promise<void> => {
  if (client.status === "ready") {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, QUIT_WITHIN_MS)
      })
    ])
    clearTimeout(timer)
  }
  client.disconnect()
}

/** Waits for a command that cannot be withdrawn; on abort stops waiting (the reply is dropped). */
const waitUnlessAborted = <A>(command: Promise<A>, signal: AbortSignal): Promise<A> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortedError())
    const onAbort = () => reject(abortedError())
    signal.addEventListener("abort", onAbort, { once: true })
    command.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })

const message = (delivery: Delivery<RedisConfig>): Record<string, unknown> => ({
  event_id: delivery.eventId,
  webhook_id: delivery.webhookId,
  idempotency_key: delivery.idempotencyKey,
  payload: delivery.payload,
  ...(delivery.payloadEncoding === "base64" ? { payload_encoding: "base64" } : {}),
  ...(delivery.config.include_headers ? { headers: delivery.headers } : {})
})

const streamFields = (delivery: Delivery<RedisConfig>): Array<string> => [
  "event_id",
  delivery.eventId,
  "webhook_id",
  delivery.webhookId,
  "idempotency_key",
  delivery.idempotencyKey,
  "payload",
  JSON.stringify(delivery.payload),
  ...(delivery.payloadEncoding === "base64" ? ["payload_encoding", "base64"] : []),
  ...(delivery.config.include_headers ? ["headers", JSON.stringify(delivery.headers)] : [])
]

const make = (connection: RedisConnection | undefined) =>
  Effect.gen(function* () {
    if (connection === undefined) {
      return yield* Effect.fail(destinationError("misconfigured", "redis: a connection is required"))
    }
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => createClient(connection)),
      (client) => Effect.promise(() => closeClient(client))
    )

    /** EVALSHA, loading the script on the server's first NOSCRIPT (after a restart, too) */
    const evalScript = (script: RedisScript, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) =>
      client
        .evalsha(script.sha, keys.length, ...keys, ...args)
        .catch((error: unknown) =>
          error instanceof Error && error.message.startsWith("NOSCRIPT")
            ? client.eval(script.source, keys.length, ...keys, ...args)
            : Promise.reject(error)
        )

    const run = (delivery: Delivery<RedisConfig>, signal: AbortSignal): Promise<Receipt> => {
      const config = delivery.config
      const dedupeKey = (target: string) => `hookstream:dedupe:${config.mode}:${target}:${delivery.idempotencyKey}`
      switch (config.mode) {
        case "publish": {
          const channel = config.channel ?? ""
          return waitUnlessAborted(client.publish(channel, JSON.stringify(message(delivery))), signal).then(
            (receivers) => ({ detail: `published to ${channel} (${receivers} subscribers)` })
          )
        }
        case "list": {
          const key = config.key ?? ""
          const push = evalScript(
            listPush,
            [key, dedupeKey(key)],
            [config.dedupe_ttl, JSON.stringify(message(delivery))]
          )
          return waitUnlessAborted(push, signal).then((length) => ({
            detail: length === null ? `already pushed onto ${key} (same idempotency key)` : `pushed onto ${key}`
          }))
        }
        case "stream": {
          const stream = config.stream ?? ""
          const add = evalScript(
            streamAdd,
            [stream, dedupeKey(stream)],
            [config.dedupe_ttl, config.maxlen ?? "", ...streamFields(delivery)]
          )
          return waitUnlessAborted(add, signal).then((id) => ({
            detail:
              id === null ? `already added to ${stream} (same idempotency key)` : `added to ${stream} as ${String(id)}`
          }))
        }
      }
    }

    const send = (delivery: Delivery<RedisConfig>): Effect.Effect<Receipt, DestinationError> =>
      abortable(
        (signal) => run(delivery, signal),
        (cause) => redisError(cause, delivery.config.channel ?? delivery.config.key ?? delivery.config.stream ?? "")
      )

    return { send }
  })

export const redisDestination: DestinationRuntime<RedisConfig, RedisConnection> = {
  make
}
