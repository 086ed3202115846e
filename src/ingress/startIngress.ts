/**
 * The ingress as one scoped resource: ops server (health, readiness, metrics), the event
 * producer, then the HTTP server. Closing the scope releases them in reverse: the HTTP
 * server stops accepting and finishes the requests in flight, the producer settles what it
 * holds and disconnects, the ops server goes last (so /readyz says "shutting down" meanwhile).
 *
 * `reload` swaps the streams served for those of a new, already validated config, in one step:
 * requests in flight finish on the streams they started with (see server.ts), the producer
 * and the connections stay.
 */
import { Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import type { LoadedConfig } from "../config/StreamDefinition.ts"
import type { ProducerClient } from "../kafka/producer/ProducerDriver.ts"
import { makeOpsServer, type OpsServer, type OpsServerError } from "../observability/opsServer.ts"
import { makeEventProducer } from "./EventProducer.ts"
import { WEBHOOK_PATH_PREFIX } from "./paths.ts"
import { compileServedStreams } from "./servedStreams.ts"
import { type IngressServerError, makeIngressServer } from "./server.ts"
import type { StreamIngress } from "./streamIngress.ts"

export interface IngressOptions {
  readonly topic: string
  readonly host: string
  readonly port: number
  /** the ops server to register readiness with; `undefined` starts none */
  readonly ops: OpsServer | undefined
  readonly produceTimeoutMs: number
  /** the client of the ingress's transactions (default platformatic) */
  readonly producerClient?: ProducerClient
  /** how long a client may take to send a whole request (408 after); default 10 s */
  readonly requestTimeoutMs?: number
  readonly maxInFlight: number
  readonly maxHeaders: number
  readonly maxHeaderBytes: number
  readonly trustProxy: ReadonlyArray<string>
  readonly retryAfterSeconds: number
  /** when the port is taken, listen on a free one instead (npm start) */
  readonly portFallback?: boolean
  readonly now?: () => number
}

export interface RunningIngress {
  readonly url: string
  readonly port: number
  /** the webhook ids served now, each at `<url>/webhooks/<id>` (a getter: a reload changes them) */
  readonly webhookIds: ReadonlyArray<string>
  readonly inFlight: () => number
  /**
   * Serve the streams of `config` (validated already) from now on, swapped in one step: a
   * stream whose rate_limit (jwt) settings are unchanged keeps its limiter (JWKS cache).
   */
  readonly reload: (config: LoadedConfig) => Effect.Effect<void>
}

const warnOpen = (webhookIds: ReadonlyArray<string>) =>
  Effect.forEach(
    webhookIds,
    (id) => Effect.logWarning(`ingress: stream '${id}' accepts webhooks without any authentication`),
    { discard: true }
  )

export const startIngress = Effect.fnUntraced(function* (
  config: LoadedConfig,
  kafka: Kafka,
  options: IngressOptions
): Effect.fn.Return<RunningIngress, IngressServerError, Scope.Scope> {
  const now = options.now ?? Date.now
  const initial = compileServedStreams(config, now)
  let streams: ReadonlyArray<StreamIngress> = initial.streams
  yield* warnOpen(initial.newlyOpen)

  const producer = yield* makeEventProducer(kafka, {
    topic: options.topic,
    timeoutMs: options.produceTimeoutMs,
    ...(options.producerClient === undefined ? {} : { producerClient: options.producerClient })
  })
  const serverOptions = {
    host: options.host,
    port: options.port,
    streams,
    producer,
    maxInFlight: options.maxInFlight,
    maxHeaders: options.maxHeaders,
    maxHeaderBytes: options.maxHeaderBytes,
    trustProxy: options.trustProxy,
    retryAfterSeconds: options.retryAfterSeconds,
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    now
  }
  const server = yield* makeIngressServer(serverOptions).pipe(
    Effect.catchIf(
      (e) => options.portFallback === true && e.addressInUse,
      () => makeIngressServer({ ...serverOptions, port: 0 })
    )
  )
  options.ops?.addReadinessCheck({
    name: "ingress",
    problem: () => {
      const p = producer.status()
      if (server.closing() || p.closing) return "shutting down"
      if (!p.connected) return "not connected to Kafka"
      if (p.stalled) return `Kafka has not acknowledged a produce request for over ${options.produceTimeoutMs} ms`
      return undefined
    }
  })
  const reload = (next: LoadedConfig): Effect.Effect<void> =>
    Effect.suspend(() => {
      // compiled and swapped synchronously: two reloads cannot interleave, nor a request see half of one
      const served = compileServedStreams(next, now, streams)
      server.serve(served.streams)
      streams = served.streams
      const changes = [
        ...(served.added.length === 0 ? [] : [`added ${served.added.join(", ")}`]),
        ...(served.removed.length === 0 ? [] : [`removed ${served.removed.join(", ")}`])
      ]
      return Effect.logInfo(
        `ingress: reloaded; serving ${streams.length} stream(s)${changes.length === 0 ? "" : ` (${changes.join("; ")})`}`
      ).pipe(Effect.andThen(warnOpen(served.newlyOpen)))
    })
  return {
    url: server.url,
    port: server.port,
    get webhookIds() {
      return streams.map((s) => s.webhookId)
    },
    inFlight: server.inFlight,
    reload
  }
})

/** The ops server, falling back to a free port when asked and the port is taken. */
export const startOpsServer = (
  host: string,
  port: number,
  portFallback = false
): Effect.Effect<OpsServer, OpsServerError, Scope.Scope> =>
  makeOpsServer({ host, port }).pipe(
    Effect.catchIf(
      (e) => portFallback && e.message.includes("EADDRINUSE"),
      () => makeOpsServer({ host, port: 0 })
    )
  )

export const webhookUrl = (ingress: RunningIngress, webhookId: string): string =>
  `${ingress.url}${WEBHOOK_PATH_PREFIX}${webhookId}`
