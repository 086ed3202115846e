/**
 * `hookstream dlq stats|list|show`: look at the dead-letter topic, up to its end at the moment
 * of the call; nothing is committed. `--since`/`--until` read only the offsets the broker
 * finds for those times, `list --limit N` reads backwards from the end until it has N (see
 * src/dlq/readDlq.ts); long scans show progress on stderr. Output is a readable table on a
 * TTY and JSON otherwise (`--json` forces JSON).
 */
import { Console, Effect, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type DlqEntry, entryDetail, parseCoordinate, summarizeEntry } from "../dlq/DlqEntry.ts"
import { describeFilter } from "../dlq/DlqFilter.ts"
import { AGE_BUCKETS, makeStatsAccumulator } from "../dlq/DlqStats.ts"
import { byFailedAt, readAt, readDlq, readNewest } from "../dlq/readDlq.ts"
import { formatAge } from "../dlq/timeSpec.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { kafkaFor } from "./brokers.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"
import { filterFlags, filterFromFlags, isTty, jsonFlag, kafkaFlags } from "./dlqFlags.ts"
import { countsBlock, formatCount, table } from "./render.ts"
import { makeScanProgress } from "./scanProgress.ts"

const json = jsonFlag

const kafkaFailed = (command: string) => (e: KafkaError) =>
  Console.error(`hookstream ${command}: Kafka failed (${e.operation}: ${e.message})`).pipe(
    Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
  )

const statsCommand = Command.make(
  "stats",
  { ...kafkaFlags, ...filterFlags, json },
  Effect.fn("dlq.stats")(function* (flags) {
    const filter = yield* filterFromFlags("dlq stats", flags)
    const kafka = yield* kafkaFor("dlq stats", flags.brokers)
    const stats = makeStatsAccumulator(Date.now())
    const progress = makeScanProgress("dlq stats")
    yield* readDlq(kafka, { topic: flags.dlq, filter, onProgress: progress.onProgress }).pipe(
      Stream.runForEach((entry) => Effect.sync(() => stats.add(entry))),
      Effect.ensuring(Effect.sync(progress.finish)),
      Effect.catchTag("KafkaError", kafkaFailed("dlq stats"))
    )
    const s = stats.result()
    if (flags.json) {
      yield* Console.log(JSON.stringify({ topic: flags.dlq, filter: describeFilter(filter), ...s }, null, 2))
      return
    }
    yield* Console.log(
      `${flags.dlq}: ${formatCount(s.total)} dead letter${s.total === 1 ? "" : "s"} (${describeFilter(filter)})`
    )
    if (s.total === 0) return
    yield* Console.log(`oldest ${s.oldestFailedAt}, newest ${s.newestFailedAt}`)
    if (s.undecodable > 0) yield* Console.log(`${formatCount(s.undecodable)} record(s) are not hookstream dead letters`)
    yield* Console.log(countsBlock("by webhook", s.byWebhook))
    yield* Console.log(countsBlock("by reason", s.byReason))
    yield* Console.log(countsBlock("by failed module", s.byModule))
    yield* Console.log(countsBlock("by age", Object.fromEntries(AGE_BUCKETS.map((b) => [b, s.byAge[b]]))))
    yield* Console.log(countsBlock("by replay count", s.byReplayCount))
  })
).pipe(
  Command.withDescription("Count dead letters by webhook id, reason, failed module, age and replay count"),
  Command.withExamples([
    { command: "hookstream dlq stats", description: "The whole DLQ" },
    { command: "hookstream dlq stats --since 24h --json", description: "Last day, machine-readable" }
  ])
)

const listRows = (entries: ReadonlyArray<DlqEntry>, now: number) =>
  entries.map((e) => {
    const s = summarizeEntry(e)
    return [
      s.coordinate,
      formatAge(now - Date.parse(s.failed_at)),
      s.webhook_id ?? "",
      s.reason ?? s.problem ?? "",
      s.failed_modules.join(","),
      s.replay_count === undefined ? "" : String(s.replay_count),
      s.event_id ?? "",
      s.key ?? "",
      s.error ?? ""
    ]
  })

const listCommand = Command.make(
  "list",
  {
    ...kafkaFlags,
    ...filterFlags,
    limit: Flag.Int("limit").pipe(
      Flag.withDescription("Show the newest N matching dead letters (default 50; 0: all)"),
      Flag.withDefault(50)
    ),
    json
  },
  Effect.fn("dlq.list")(function* (flags) {
    const filter = yield* filterFromFlags("dlq list", flags)
    const kafka = yield* kafkaFor("dlq list", flags.brokers)
    const limit = Math.max(0, flags.limit)
    const progress = makeScanProgress("dlq list")
    // with a limit, backwards from the end until there are enough; without, everything
    const found = yield* (
      limit > 0
        ? readNewest(kafka, { topic: flags.dlq, filter, limit, onProgress: progress.onProgress })
        : Effect.map(
            Stream.runCollect(readDlq(kafka, { topic: flags.dlq, filter, onProgress: progress.onProgress })),
            (all) => ({ entries: [...all].sort(byFailedAt), matched: all.length, complete: true })
          )
    ).pipe(Effect.ensuring(Effect.sync(progress.finish)), Effect.catchTag("KafkaError", kafkaFailed("dlq list")))
    const kept = found.entries
    const matched = found.matched
    if (flags.json || !isTty()) {
      yield* Console.log(JSON.stringify(kept.map(summarizeEntry), null, 2))
      return
    }
    if (kept.length === 0) {
      yield* Console.log(`${flags.dlq}: no dead letters match (${describeFilter(filter)})`)
      return
    }
    yield* Console.log(
      table(
        ["COORDINATE", "AGE", "WEBHOOK", "REASON", "FAILED MODULES", "REPLAYS", "EVENT", "KEY", "ERROR"],
        listRows(kept, Date.now())
      )
    )
    yield* Console.log(
      !found.complete
        ? `showing the newest ${formatCount(kept.length)} matching; reading stopped there (--limit to change, 0 for all)`
        : kept.length < matched
          ? `showing the newest ${formatCount(kept.length)} of ${formatCount(matched)} matching (--limit to change)`
          : `${formatCount(matched)} matching`
    )
  })
).pipe(
  Command.withDescription(
    "List the newest dead letters (newest last) with the error that ended each chain: a table on a terminal, JSON otherwise. With --limit it reads backwards from the end and stops once it has enough"
  ),
  Command.withExamples([
    {
      command: "hookstream dlq list --webhook orders --reason chain_failed",
      description: "One stream's chain failures"
    },
    { command: "hookstream dlq list --module publish --since 2h --json", description: "For scripts" }
  ])
)

const showCommand = Command.make(
  "show",
  {
    ...kafkaFlags,
    ref: Argument.String("ref").pipe(
      Argument.withDescription("topic:partition:offset, partition:offset (on the DLQ topic), or an event id")
    ),
    json
  },
  Effect.fn("dlq.show")(function* (flags) {
    const kafka = yield* kafkaFor("dlq show", flags.brokers)
    const at = parseCoordinate(flags.ref, flags.dlq)
    const found: ReadonlyArray<DlqEntry> = yield* (
      at === undefined
        ? Stream.runCollect(readDlq(kafka, { topic: flags.dlq, filter: { eventIds: [flags.ref] } }))
        : Effect.map(readAt(kafka, at), (e) => (e === undefined ? [] : [e]))
    ).pipe(Effect.catchTag("KafkaError", kafkaFailed("dlq show")))
    if (found.length === 0) {
      yield* Console.error(
        `hookstream dlq show: ${at === undefined ? `no dead letter for event ${flags.ref} on ${flags.dlq}` : `no record at ${flags.ref}`}`
      )
      return yield* new CliExit({ code: EXIT_FAILURE })
    }
    if (flags.json || !isTty()) {
      const details = found.map(entryDetail)
      yield* Console.log(JSON.stringify(at === undefined ? details : details[0], null, 2))
      return
    }
    for (const entry of found) {
      const s = summarizeEntry(entry)
      const lines = [
        ["coordinate", s.coordinate],
        ["failed at", `${s.failed_at} (${formatAge(Date.now() - Date.parse(s.failed_at))} ago)`],
        ["reason", s.reason ?? s.problem ?? ""],
        ["webhook", s.webhook_id ?? ""],
        ["event id", s.event_id ?? ""],
        ["key", s.key ?? ""],
        ["failed modules", s.failed_modules.join(", ")],
        ["replay count", s.replay_count === undefined ? "" : String(s.replay_count)],
        ["error", s.error ?? ""]
      ]
      for (const [k, v] of lines) if (v !== "") yield* Console.log(`${`${k}:`.padEnd(16)}${v}`)
      const modules = entry.record?.result?.modules ?? []
      if (modules.length > 0) {
        yield* Console.log("modules:")
        yield* Console.log(
          table(
            ["ID", "MODULE", "STATUS", "ATTEMPTS", "ERROR"],
            modules.map((m) => [m.id, m.module, m.status, String(m.attempts), m.error?.message ?? ""]),
            80
          )
            .split("\n")
            .map((l) => `  ${l}`)
            .join("\n")
        )
      }
      const headers = Object.entries(entry.headers)
      if (headers.length > 0) {
        yield* Console.log("headers:")
        for (const [k, v] of headers) yield* Console.log(`  ${k}: ${v}`)
      }
      if (entry.record !== undefined) {
        yield* Console.log("event:")
        yield* Console.log(
          JSON.stringify(entry.record.event, null, 2)
            .split("\n")
            .map((l) => `  ${l}`)
            .join("\n")
        )
      }
      if (found.length > 1) yield* Console.log("")
    }
  })
).pipe(
  Command.withDescription("Show one dead letter in full (by coordinate), or every dead letter of an event id"),
  Command.withExamples([
    { command: "hookstream dlq show order-43", description: "Every dead letter of one event" },
    {
      command: "hookstream dlq show order-43 --json",
      description: "The same as JSON; a coordinate from dlq list (webhooks.dlq:0:17) shows one record"
    }
  ])
)

export const dlqCommand = Command.make("dlq").pipe(
  Command.withDescription("Inspect the dead-letter topic: stats, list, show (see also: hookstream replay)"),
  Command.withSubcommands([statsCommand, listCommand, showCommand])
)
