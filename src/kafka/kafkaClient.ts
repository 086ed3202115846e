/**
 * The KafkaJS client, built once per process (and once per `kafka` destination connection).
 * KafkaJS is in maintenance mode upstream, so it stays behind this folder and the kafka
 * destination. Its log lines are routed into the process's logger (structured, levelled)
 * instead of its own console output.
 */
import { Effect, Logger } from "effect"
import { Kafka, type LogEntry, logLevel, type RetryOptions, type SASLOptions } from "kafkajs"
import { withProcessLogger } from "../observability/logging.ts"

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
}

/**
 * Errors KafkaJS logs at ERROR although it retries them and they are expected: right after a
 * transaction commits, the next one's first request meets CONCURRENT_TRANSACTIONS until the
 * commit markers are written (every back-to-back transaction: replays, exactly-once commits).
 */
const isRoutineRetry = (message: string, fields: Readonly<Record<string, unknown>>): boolean =>
  /another concurrent operation on the same transaction/.test(`${message} ${String(fields["error"] ?? "")}`)

const forward = (level: logLevel, entry: LogEntry, logToStderr: boolean): void => {
  const { message, ...fields } = entry.log
  const annotations = { kafka_namespace: entry.namespace, ...fields }
  const line = `kafkajs: ${message}`
  const effect =
    level !== logLevel.DEBUG && isRoutineRetry(message, fields)
      ? Effect.logDebug(line)
      : level === logLevel.ERROR
        ? Effect.logError(line)
        : level === logLevel.WARN
          ? Effect.logWarning(line)
          : level === logLevel.INFO
            ? Effect.logDebug(line)
            : Effect.logTrace(line)
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

export const makeKafka = (options: KafkaClientOptions): Kafka => {
  const kafka = new Kafka({
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
  madeWith.set(kafka, options)
  return kafka
}

export const parseBrokers = (value: string): ReadonlyArray<string> =>
  value
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "")
