/**
 * `hookstream topics create`: create the input, results, DLQ and deferred topics with their partition
 * counts and retention. Idempotent: topics that exist are left as they are (and reported).
 */
import { Config, Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { parseSpan } from "../dlq/timeSpec.ts"
import { DEFAULT_DEFERRED_PARTITIONS } from "../domain/DeferredRecord.ts"
import { ensureTopics, hookstreamTopicSpecs, topicPartitions } from "../kafka/topics.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"
import { kafkaFor, usageError } from "./dlqFlags.ts"
import { runFlags } from "./run.ts"

const retentionFlag = (name: string, topic: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(`Retention of the ${topic} topic: 7d, 12h, 30m, or 'forever' (default: the broker's)`),
    Flag.optional
  )

/** ms → the largest exact unit: `30d`, `12h`, `90m`, `1500ms` */
const formatSpan = (ms: number): string => {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000]
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  return `${ms}ms`
}

/** `7d` → ms; `forever` → -1; undefined: not a retention */
const parseRetention = (text: string): number | undefined =>
  text === "forever" || text === "-1" ? -1 : parseSpan(text)

const createCommand = Command.make(
  "create",
  {
    brokers: runFlags.brokers,
    input: runFlags.input,
    results: runFlags.results,
    dlq: runFlags.dlq,
    deferred: runFlags.deferred,
    deferredPartitions: Flag.Int("deferred-partitions").pipe(
      Flag.withDescription(
        `Partitions of the deferred topic: streams sharing one share its pace when deferred (default ${DEFAULT_DEFERRED_PARTITIONS})`
      ),
      Flag.withDefault(DEFAULT_DEFERRED_PARTITIONS)
    ),
    partitions: Flag.Int("partitions").pipe(
      Flag.withDescription("Partitions of the input and results topics (env HOOKSTREAM_PARTITIONS; default 6)"),
      Flag.withFallbackConfig(Config.Int("HOOKSTREAM_PARTITIONS")),
      Flag.withDefault(6)
    ),
    dlqPartitions: Flag.Int("dlq-partitions").pipe(
      Flag.withDescription("Partitions of the DLQ topic (default: --partitions)"),
      Flag.optional
    ),
    replicationFactor: Flag.Int("replication-factor").pipe(
      Flag.withDescription("Replicas of each partition (default: the broker's default.replication.factor)"),
      Flag.withFallbackConfig(Config.Int("HOOKSTREAM_REPLICATION_FACTOR")),
      Flag.optional
    ),
    retention: retentionFlag("retention", "input"),
    resultsRetention: retentionFlag("results-retention", "results"),
    dlqRetention: retentionFlag("dlq-retention", "DLQ")
  },
  Effect.fn("topics.create")(function* (flags) {
    const command = "topics create"
    if (flags.partitions < 1) return yield* usageError(command, "--partitions must be ≥ 1")
    const dlqPartitions = Option.getOrUndefined(flags.dlqPartitions)
    if (dlqPartitions !== undefined && dlqPartitions < 1)
      return yield* usageError(command, "--dlq-partitions must be ≥ 1")
    const rf = Option.getOrUndefined(flags.replicationFactor)
    if (rf !== undefined && rf < 1) return yield* usageError(command, "--replication-factor must be ≥ 1")
    const retentions: Record<string, number | undefined> = {}
    for (const [flag, value] of [
      ["retention", flags.retention],
      ["results-retention", flags.resultsRetention],
      ["dlq-retention", flags.dlqRetention]
    ] as const) {
      if (Option.isNone(value)) continue
      const ms = parseRetention(value.value)
      if (ms === undefined)
        return yield* usageError(command, `--${flag}: expected 7d, 12h, 30m or forever, got '${value.value}'`)
      retentions[flag] = ms
    }
    const kafka = yield* kafkaFor(command, flags.brokers)
    const specs = hookstreamTopicSpecs({
      input: flags.input,
      results: flags.results,
      dlq: flags.dlq,
      ...(flags.deferred === "" ? {} : { deferred: flags.deferred, deferredPartitions: flags.deferredPartitions }),
      partitions: flags.partitions,
      ...(dlqPartitions === undefined ? {} : { dlqPartitions }),
      ...(rf === undefined ? {} : { replicationFactor: rf }),
      ...(retentions["retention"] === undefined ? {} : { inputRetentionMs: retentions["retention"] }),
      ...(retentions["results-retention"] === undefined ? {} : { resultsRetentionMs: retentions["results-retention"] }),
      ...(retentions["dlq-retention"] === undefined ? {} : { dlqRetentionMs: retentions["dlq-retention"] })
    })
    const result = yield* Effect.all([
      ensureTopics(kafka, specs),
      topicPartitions(
        kafka,
        specs.map((s) => s.topic)
      )
    ]).pipe(
      Effect.catchTag("KafkaError", (e) =>
        Console.error(`hookstream ${command}: Kafka failed (${e.operation}: ${e.message})`).pipe(
          Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
        )
      )
    )
    const [created, partitions] = result
    for (const spec of specs) {
      const retention = spec.configs?.["retention.ms"]
      const detail = `${partitions.get(spec.topic) ?? spec.partitions} partitions${
        created.includes(spec.topic) && retention !== undefined
          ? `, retention ${retention === "-1" ? "forever" : formatSpan(Number(retention))}`
          : ""
      }`
      yield* Console.log(`${created.includes(spec.topic) ? "created" : "exists "} ${spec.topic} (${detail})`)
    }
  })
).pipe(
  Command.withDescription(
    "Create the input, results and DLQ topics if missing (partitions, replication, retention); existing topics are left unchanged"
  ),
  Command.withExamples([
    {
      command: "hookstream topics create --partitions 12 --dlq-retention 30d",
      description: "Keep dead letters a month"
    },
    {
      command:
        "hookstream topics create --input orders.in --results orders.results --dlq orders.dlq --replication-factor 3",
      description: "Custom names, three replicas"
    }
  ])
)

export const topicsCommand = Command.make("topics").pipe(
  Command.withDescription("Manage hookstream's Kafka topics"),
  Command.withSubcommands([createCommand])
)
