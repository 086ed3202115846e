/**
 * The KafkaJS client, built once per process (and once per `kafka` destination connection).
 * KafkaJS is in maintenance mode upstream, so it stays behind this folder and the kafka
 * destination. Its log lines are routed into the process's logger (structured, levelled)
 * instead of its own console output.
 */
import { createRequire } from "node:module"
import { Effect, Logger } from "effect"
import {
  type AdminConfig,
  type ConsumerConfig,
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  type ProducerConfig,
  type RetryOptions,
  type SASLOptions
} from "kafkajs"
import { withProcessLogger } from "../observability/logging.ts"
import { installAbortedTransactionOrder } from "./abortedTransactionOrder.ts"
import { type ConnectionWatch, makeConnectionWatch } from "./ConnectionWatch.ts"

export interface KafkaClientOptions {
  readonly brokers: ReadonlyArray<string>
  readonly clientId: string
  /** KafkaJS's own connection timeout, ms */
  readonly connectionTimeoutMs?: number
  readonly ssl?: boolean
  readonly sasl?: SASLOptions
  /** retries of connects and metadata requests; default up to 8, capped at 10 s apart */
  readonly retry?: RetryOptions
  /** KafkaJS lines at this level and above reach Effect's logger; default WARN */
  readonly logLevel?: logLevel
  /** KafkaJS lines go to stderr: for commands whose stdout is data (`dlq list` JSON…) */
  readonly logToStderr?: boolean
  /** set by makeWatchedKafka: clients made from these options report their connections to it */
  readonly watch?: ConnectionWatch
}

// KafkaJS's table of Kafka protocol errors (not part of its typed API): the ones marked
// retriable are the ones its retrier tries again; the group-membership ones below are not
// marked, but its consumer answers them by re-joining the group (consumer/runner.js).
const protocolErrors: unknown = createRequire(import.meta.url)("kafkajs/src/protocol/error.js")
const REJOINED = new Set(["REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"])

const routineMessages: ReadonlyArray<string> = (() => {
  const codes =
    typeof protocolErrors === "object" && protocolErrors !== null && "errorCodes" in protocolErrors
      ? protocolErrors.errorCodes
      : undefined
  if (!Array.isArray(codes)) return []
  return codes.flatMap((c: unknown) =>
    typeof c === "object" &&
    c !== null &&
    "message" in c &&
    (("retriable" in c && c.retriable === true) || ("type" in c && REJOINED.has(String(c.type))))
      ? [String(c.message)]
      : []
  )
})()

/**
 * Whether a KafkaJS line reports a condition it handles by itself. KafkaJS logs every error
 * response at ERROR before its retrier runs: "The coordinator is loading", "The group
 * coordinator is not available" right after a broker starts, CONCURRENT_TRANSACTIONS after
 * every back-to-back transaction, "not the leader" while leadership moves, "The group is
 * rebalancing" on every heartbeat while another instance joins. Those are routine; if the
 * retries run out, the operation fails and the caller reports that failure.
 */
export const isRetriedCondition = (message: string, fields: Readonly<Record<string, unknown>>): boolean => {
  const text = `${message} ${typeof fields["error"] === "string" ? fields["error"] : ""}`
  return routineMessages.some((m) => text.includes(m))
}

/**
 * The level a KafkaJS line is logged at: its own, except retried conditions and INFO chatter
 * (debug). A consumer restart follows a crash on a retriable error: the crash line says which
 * (an ERROR unless the error is one of the routine ones above), the restart line is the retry.
 */
export const kafkaLineLevel = (
  level: logLevel,
  message: string,
  fields: Readonly<Record<string, unknown>>
): "Error" | "Warn" | "Debug" | "Trace" => {
  if (level === logLevel.DEBUG) return "Trace"
  if (level === logLevel.INFO || isRetriedCondition(message, fields) || message.startsWith("Restarting the consumer"))
    return "Debug"
  return level === logLevel.ERROR ? "Error" : level === logLevel.WARN ? "Warn" : "Debug"
}

const forward = (level: logLevel, entry: LogEntry, logToStderr: boolean): void => {
  const { message, ...fields } = entry.log
  const annotations = { kafka_namespace: entry.namespace, ...fields }
  const effect = Effect.logWithLevel(kafkaLineLevel(level, message, fields))(`kafkajs: ${message}`)
  // KafkaJS calls back outside any fiber of ours: run the line with the process's logger
  Effect.runFork(
    withProcessLogger(
      effect.pipe(Effect.annotateLogs(annotations), Effect.provideService(Logger.LogToStderr, logToStderr))
    )
  )
}

/** The options each client was made with: a producer of the other client connects with the same. */
const madeWith = new WeakMap<Kafka, KafkaClientOptions>()

/** How `kafka` was made (`undefined`: not by `makeKafka`). */
export const kafkaClientOptions = (kafka: Kafka): KafkaClientOptions | undefined => madeWith.get(kafka)

const kafkaConfig = (options: KafkaClientOptions): KafkaConfig => ({
  clientId: options.clientId,
  brokers: [...options.brokers],
  connectionTimeout: options.connectionTimeoutMs ?? 3_000,
  // retries of individual requests; reconnection after a broker outage is ours to drive
  retry: options.retry ?? { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  ...(options.ssl === true ? { ssl: true } : {}),
  ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
  logLevel: options.logLevel ?? logLevel.WARN,
  logCreator: () => (entry) => forward(entry.level, entry, options.logToStderr ?? false)
})

export const makeKafka = (options: KafkaClientOptions): Kafka => {
  // read_committed must hide every aborted transaction (see abortedTransactionOrder.ts)
  installAbortedTransactionOrder()
  const kafka = new Kafka(kafkaConfig(options))
  madeWith.set(kafka, options)
  return kafka
}

/**
 * A client whose connection state a ConnectionWatch follows (for /readyz): its sockets come
 * from the watch, and every producer, consumer and admin it makes reports its request
 * timeouts (and crashes) to it. The watch's probe uses the same settings (TLS, SASL). A
 * producer of the other client (platformatic), made from `kafkaClientOptions(kafka)`, opens
 * connections of its own and reports them to `watch` through its broker events.
 */
export const makeWatchedKafka = (
  options: KafkaClientOptions
): { readonly kafka: Kafka; readonly watch: ConnectionWatch } => {
  const config = kafkaConfig(options)
  const watch = makeConnectionWatch({
    bootstrap: options.brokers,
    probeClient: (brokers, socketFactory) =>
      new Kafka({
        ...config,
        brokers: [...brokers],
        socketFactory,
        connectionTimeout: 1_000,
        requestTimeout: 2_000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING
      })
  })
  class WatchedKafka extends Kafka {
    override producer(producerConfig?: ProducerConfig) {
      return watch.observe(super.producer(producerConfig))
    }
    override consumer(consumerConfig: ConsumerConfig) {
      return watch.observe(super.consumer(consumerConfig))
    }
    override admin(adminConfig?: AdminConfig) {
      return watch.observe(super.admin(adminConfig))
    }
  }
  const kafka = new WatchedKafka({ ...config, socketFactory: watch.socketFactory })
  // a producer of the other client, made from these options, reports its connections too
  madeWith.set(kafka, { ...options, watch })
  return { kafka, watch }
}

export const parseBrokers = (value: string): ReadonlyArray<string> =>
  value
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "")
