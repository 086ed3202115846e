/**
 * Where a command finds Kafka, and what it says when nothing answers there. In order:
 * `--brokers`, `KAFKA_BROKERS`, the broker of an `npm start` running from this checkout
 * (`.kafka/npm-start.json`), then `localhost:9092`. Before a command uses it, the cluster
 * must answer a metadata request within a few seconds; otherwise the command stops with one
 * line naming the address it tried, where that address came from and how to set another,
 * instead of KafkaJS retrying for half a minute.
 */
import { Config, Effect, Option } from "effect"
import { Flag } from "effect/cli"
import type { Kafka } from "kafkajs"
import { makeKafka, parseBrokers } from "../kafka/kafkaClient.ts"
import { awaitBroker } from "../kafka/local/awaitBroker.ts"
import { CHECKOUT_BROKER_FILE, checkoutBroker } from "../kafka/local/checkoutBroker.ts"
import { type CliExit, failure, usageError } from "./CliExit.ts"

export const DEFAULT_BROKERS = "localhost:9092"
/** How long a command waits for its cluster to answer before it gives up */
export const PROBE_TIMEOUT_MS = 3_000

export const brokersFlag = Flag.String("brokers").pipe(
  Flag.withDescription(
    `Kafka bootstrap servers, host:port[,…] (env KAFKA_BROKERS; default: the broker of npm start while it runs from this checkout, else ${DEFAULT_BROKERS})`
  ),
  Flag.withFallbackConfig(Config.String("KAFKA_BROKERS")),
  Flag.optional
)

export type BrokersOrigin = "given" | "npm start" | "default"

export interface ResolvedBrokers {
  readonly brokers: string
  readonly origin: BrokersOrigin
}

/**
 * The brokers a command uses. Taken from npm start's file, they also become KAFKA_BROKERS for
 * this process, as if the shell had exported it: connections files say `${KAFKA_BROKERS}`.
 */
export const resolveBrokers = (
  given: Option.Option<string>,
  checkoutFile: string = CHECKOUT_BROKER_FILE
): ResolvedBrokers => {
  if (Option.isSome(given)) return { brokers: given.value, origin: "given" }
  const announced = checkoutBroker(checkoutFile)
  if (announced === undefined) return { brokers: DEFAULT_BROKERS, origin: "default" }
  process.env["KAFKA_BROKERS"] = announced.brokers
  return { brokers: announced.brokers, origin: "npm start" }
}

const ORIGIN: Record<BrokersOrigin, string> = {
  given: "from --brokers or KAFKA_BROKERS",
  "npm start": `npm start's broker, from ${CHECKOUT_BROKER_FILE}`,
  default: "the default; no npm start is running from this checkout"
}

/** The one line a command prints when its cluster does not answer. */
export const unreachableLine = (resolved: ResolvedBrokers, timeoutMs: number, lastError?: string): string =>
  `no Kafka broker answered at ${resolved.brokers} within ${timeoutMs / 1000} s (${ORIGIN[resolved.origin]})` +
  `${lastError === undefined ? "" : `: ${lastError}`}. ` +
  `${resolved.origin === "default" ? "Start one with npm start, or set" : "Set"} another with --brokers host:port or KAFKA_BROKERS=host:port`

/** The brokers to use, not yet contacted (exit 2 when --brokers names nothing). */
export const chooseBrokers = (command: string, given: Option.Option<string>): Effect.Effect<ResolvedBrokers, CliExit> =>
  Effect.suspend(() => {
    const resolved = resolveBrokers(given)
    return parseBrokers(resolved.brokers).length === 0
      ? usageError(command, "--brokers (or KAFKA_BROKERS) is empty")
      : Effect.succeed(resolved)
  })

/** The brokers once the cluster has answered, or exit 1 with `unreachableLine`. */
export const awaitBrokers = (
  command: string,
  resolved: ResolvedBrokers,
  timeoutMs: number = PROBE_TIMEOUT_MS
): Effect.Effect<ReadonlyArray<string>, CliExit> => {
  const list = parseBrokers(resolved.brokers)
  return awaitBroker(list.join(","), timeoutMs).pipe(
    Effect.as(list),
    Effect.catch((e) =>
      failure(command, unreachableLine(resolved, timeoutMs, /last error: (.*)\)$/.exec(e.message)?.[1]))
    )
  )
}

/** `chooseBrokers`, then `awaitBrokers`. */
export const reachableBrokers = (
  command: string,
  given: Option.Option<string>
): Effect.Effect<ReadonlyArray<string>, CliExit> =>
  Effect.flatMap(chooseBrokers(command, given), (resolved) => awaitBrokers(command, resolved))

/** A Kafka client for an operator command whose cluster answered; KafkaJS lines go to stderr. */
export const kafkaFor = (command: string, given: Option.Option<string>): Effect.Effect<Kafka, CliExit> =>
  Effect.map(reachableBrokers(command, given), (brokers) =>
    makeKafka({ brokers, clientId: `hookstream-${command.replace(/\s+/g, "-")}`, logToStderr: true })
  )
