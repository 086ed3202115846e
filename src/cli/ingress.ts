/**
 * `hookstream ingress`: the HTTP front door. `POST /webhooks/<webhook_id>` answers 202 with
 * the event id once Kafka has committed the event (transactional producer, acks=all), 503 with
 * Retry-After when Kafka does not in time (and then the event never becomes visible). Every flag has an environment
 * variable (flag wins). SIGTERM: stop accepting, finish requests in flight, disconnect.
 */
import { hostname } from "node:os"
import { Config, Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { parseByteSize } from "../config/ByteSize.ts"
import { DEFAULT_STREAMS_DIR } from "../config/loadStreams.ts"
import { DEFAULT_INPUT_TOPIC } from "../domain/WebhookEvent.ts"
import { DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS } from "../ingress/limits.ts"
import { WEBHOOK_PATH_PREFIX } from "../ingress/paths.ts"
import { DEFAULT_PRODUCER_CLIENT } from "../kafka/producer/ProducerDriver.ts"
import { DEFAULT_OPS_PORT } from "../observability/opsPort.ts"
import type { OpsServer } from "../observability/opsServer.ts"
import { parseDuration } from "../schema/Duration.ts"
import { awaitBrokers, chooseBrokers } from "./brokers.ts"
import { CliExit, EXIT_FAILURE, usageError } from "./CliExit.ts"
import { startConfigReload } from "./configReload.ts"
import { kafkaWithReadiness } from "./kafkaReadiness.ts"
import { loadConfigOrExit, streamPaths } from "./loadConfigOrExit.ts"
import { runFlags } from "./run.ts"

const withEnv = <A>(flag: Flag.Flag<A>, config: Config.Config<A>, fallback: A) =>
  flag.pipe(Flag.withFallbackConfig(config), Flag.withDefault(fallback))

export const ingressFlags = {
  brokers: runFlags.brokers,
  input: runFlags.input,
  streams: runFlags.streams,
  connections: runFlags.connections,
  watch: runFlags.watch,
  instanceId: runFlags.instanceId,
  producerClient: runFlags.producerClient,
  host: withEnv(
    Flag.String("host").pipe(
      Flag.withDescription("Address to listen on (env HOOKSTREAM_INGRESS_HOST; default 0.0.0.0)")
    ),
    Config.String("HOOKSTREAM_INGRESS_HOST"),
    "0.0.0.0"
  ),
  port: withEnv(
    Flag.Int("port").pipe(
      Flag.withDescription("HTTP port; 0 picks a free one (env HOOKSTREAM_INGRESS_PORT; default 8080)")
    ),
    Config.Int("HOOKSTREAM_INGRESS_PORT"),
    8080
  ),
  opsHost: withEnv(
    Flag.String("ops-host").pipe(
      Flag.withDescription("Address of /healthz, /readyz, /metrics (env HOOKSTREAM_OPS_HOST; default 0.0.0.0)")
    ),
    Config.String("HOOKSTREAM_OPS_HOST"),
    "0.0.0.0"
  ),
  opsPort: withEnv(
    Flag.Int("ops-port").pipe(
      Flag.withDescription(`Port of /healthz, /readyz, /metrics (env HOOKSTREAM_OPS_PORT; default ${DEFAULT_OPS_PORT})`)
    ),
    Config.Int("HOOKSTREAM_OPS_PORT"),
    DEFAULT_OPS_PORT
  ),
  produceTimeout: withEnv(
    Flag.String("produce-timeout").pipe(
      Flag.withDescription(
        "How long a request waits for Kafka's acknowledgement before 503 (env HOOKSTREAM_PRODUCE_TIMEOUT; default 5s)"
      )
    ),
    Config.String("HOOKSTREAM_PRODUCE_TIMEOUT"),
    "5s"
  ),
  maxInFlight: withEnv(
    Flag.Int("max-in-flight").pipe(
      Flag.withDescription(
        "Requests in flight plus records still settling with Kafka; past it 503 (env HOOKSTREAM_INGRESS_MAX_IN_FLIGHT; default 1024)"
      )
    ),
    Config.Int("HOOKSTREAM_INGRESS_MAX_IN_FLIGHT"),
    1_024
  ),
  requestTimeout: withEnv(
    Flag.String("request-timeout").pipe(
      Flag.withDescription(
        "How long a client may take to send a whole request, headers and body; past it 408 and the connection closes, freeing its in-flight slot (env HOOKSTREAM_INGRESS_REQUEST_TIMEOUT; default 10s)"
      )
    ),
    Config.String("HOOKSTREAM_INGRESS_REQUEST_TIMEOUT"),
    "10s"
  ),
  maxHeaders: withEnv(
    Flag.Int("max-headers").pipe(
      Flag.withDescription(
        `Header fields per request; past it 431 (env HOOKSTREAM_MAX_HEADERS; default ${DEFAULT_MAX_HEADERS})`
      )
    ),
    Config.Int("HOOKSTREAM_MAX_HEADERS"),
    DEFAULT_MAX_HEADERS
  ),
  maxHeaderSize: withEnv(
    Flag.String("max-header-size").pipe(
      Flag.withDescription(
        "Bytes of request line and headers; past it 431 (env HOOKSTREAM_MAX_HEADER_SIZE; default 16KiB)"
      )
    ),
    Config.String("HOOKSTREAM_MAX_HEADER_SIZE"),
    "16KiB"
  ),
  trustProxy: withEnv(
    Flag.String("trust-proxy").pipe(
      Flag.withDescription(
        "Proxies (addresses/CIDRs, comma-separated) whose X-Forwarded-For gives the client IP (env HOOKSTREAM_TRUST_PROXY)"
      )
    ),
    Config.String("HOOKSTREAM_TRUST_PROXY"),
    ""
  ),
  retryAfter: withEnv(
    Flag.String("retry-after").pipe(
      Flag.withDescription("Retry-After of a 503 (env HOOKSTREAM_RETRY_AFTER; default 5s)")
    ),
    Config.String("HOOKSTREAM_RETRY_AFTER"),
    "5s"
  )
}

type IngressInput = {
  readonly [K in keyof typeof ingressFlags]: (typeof ingressFlags)[K] extends Flag.Flag<infer A> ? A : never
}

const usage = (message: string) => usageError("ingress", message)

export interface IngressStarted {
  readonly url: string
  readonly opsUrl: string
  readonly webhookIds: ReadonlyArray<string>
  /** for `npm start`: the processor registers its readiness and metrics on the same server */
  readonly ops: OpsServer
}

/**
 * Loads the streams and starts the ingress and its ops server in the current scope; used by
 * `hookstream ingress` and `npm start`. `portFallback`: take free ports when those are busy.
 * `existingOps`: an ops server that outlives this scope (npm start closes the ingress first).
 */
export const startIngressCommand = Effect.fn("ingress.start")(function* (
  input: IngressInput,
  portFallback = false,
  existingOps?: OpsServer
) {
  const produceTimeoutMs = parseDuration(input.produceTimeout)
  if (produceTimeoutMs === undefined || produceTimeoutMs < 1)
    return yield* usage(`--produce-timeout: not a duration: ${input.produceTimeout}`)
  const requestTimeoutMs = parseDuration(input.requestTimeout)
  if (requestTimeoutMs === undefined || requestTimeoutMs < 100)
    return yield* usage(`--request-timeout: expected a duration of at least 100ms, got ${input.requestTimeout}`)
  const retryAfterMs = parseDuration(input.retryAfter)
  if (retryAfterMs === undefined) return yield* usage(`--retry-after: not a duration: ${input.retryAfter}`)
  const maxHeaderBytes = parseByteSize(input.maxHeaderSize)
  if (maxHeaderBytes === undefined || maxHeaderBytes < 1024)
    return yield* usage(`--max-header-size: expected a size of at least 1KiB, got ${input.maxHeaderSize}`)
  if (input.maxInFlight < 1 || input.maxHeaders < 1)
    return yield* usage("--max-in-flight and --max-headers must be ≥ 1")
  // chosen before the streams load (npm start's broker becomes ${KAFKA_BROKERS} for the
  // connections file), contacted once they are valid
  const chosen = yield* chooseBrokers("ingress", input.brokers)

  const config = yield* loadConfigOrExit(
    "ingress",
    { paths: streamPaths(input.streams), connections: input.connections },
    "not started"
  )
  const brokers = yield* awaitBrokers("ingress", chosen)
  const fail = (message: string) =>
    Console.error(`hookstream ingress: ${message}`).pipe(
      Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
    )

  // loaded here, not at the top: every other command would pay for fastify and prom-client
  const { startIngress, startOpsServer } = yield* Effect.promise(() => import("../ingress/startIngress.ts"))
  const ops =
    existingOps ??
    (yield* startOpsServer(input.opsHost, input.opsPort, portFallback).pipe(
      Effect.catchTag("OpsServerError", (e) => fail(e.message))
    ))
  const kafka = yield* kafkaWithReadiness(ops, "ingress kafka", {
    brokers,
    clientId: `hookstream-ingress-${input.instanceId}`
  })
  const ingress = yield* startIngress(config, kafka, {
    topic: input.input,
    host: input.host,
    port: input.port,
    ops,
    produceTimeoutMs,
    producerClient: input.producerClient,
    requestTimeoutMs,
    maxInFlight: input.maxInFlight,
    maxHeaders: input.maxHeaders,
    maxHeaderBytes,
    trustProxy: input.trustProxy
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== ""),
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    portFallback
  }).pipe(Effect.catchTag("IngressServerError", (e) => fail(e.message)))
  // a change to the streams' ingress sections takes effect without dropping a connection
  yield* startConfigReload({
    component: "ingress",
    source: { paths: streamPaths(input.streams), connections: input.connections },
    initial: config,
    watch: input.watch,
    apply: (next) => Effect.as(ingress.reload(next), { served: ingress.webhookIds })
  })
  return { url: ingress.url, opsUrl: ops.url, webhookIds: ingress.webhookIds, ops } satisfies IngressStarted
})

/** The defaults `hookstream ingress` would use (flags absent, env unset), for code that starts it. */
export const defaultIngressInput = (overrides: Partial<IngressInput> = {}): IngressInput => ({
  brokers: Option.none(),
  input: DEFAULT_INPUT_TOPIC,
  streams: DEFAULT_STREAMS_DIR,
  connections: "",
  watch: true,
  instanceId: hostname(),
  producerClient: DEFAULT_PRODUCER_CLIENT,
  host: "0.0.0.0",
  port: 8080,
  opsHost: "0.0.0.0",
  opsPort: DEFAULT_OPS_PORT,
  produceTimeout: "5s",
  requestTimeout: "10s",
  maxInFlight: 1_024,
  maxHeaders: DEFAULT_MAX_HEADERS,
  maxHeaderSize: `${DEFAULT_MAX_HEADER_BYTES / 1024}KiB`,
  trustProxy: "",
  retryAfter: "5s",
  ...overrides
})

export const ingressCommand = Command.make("ingress", ingressFlags, (input) =>
  Effect.gen(function* () {
    const started = yield* startIngressCommand(input)
    const ids =
      started.webhookIds.length === 0 ? "none (no stream has an ingress: section)" : started.webhookIds.join(", ")
    yield* Console.log(
      `hookstream ingress: listening on ${started.url}${WEBHOOK_PATH_PREFIX}<webhook_id> (streams: ${ids})`
    )
    yield* Console.log(`hookstream ingress: ops on ${started.opsUrl} (/healthz, /readyz, /metrics)`)
    return yield* Effect.never
  }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "HTTP ingress: POST /webhooks/<webhook_id> answers 202 {event_id} once Kafka has acknowledged the event; auth, limits and rate limits per stream (its ingress: section). Stops cleanly on SIGTERM/SIGINT."
  ),
  Command.withExamples([
    { command: "hookstream ingress", description: "Serve the streams in streams/ that have an ingress: section" },
    { command: "HOOKSTREAM_PRODUCE_TIMEOUT=2s hookstream ingress", description: "Answer 503 after 2 s without an ack" }
  ])
)
