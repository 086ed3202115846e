/**
 * `hookstream replay`: re-publish dead letters' original events to the input topic. Parses
 * flags, shows progress and prints the summary; the work is the replay engine's
 * (src/replay/Replay.ts), which the operator console runs too.
 */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { formatCoordinate } from "../dlq/DlqEntry.ts"
import { type DlqFilter, describeFilter } from "../dlq/DlqFilter.ts"
import { ratePerSecond } from "../replay/progress.ts"
import { parseRate } from "../replay/RateLimiter.ts"
import { isValidReplayName, type ReplayProgress, type ReplaySummary, replay } from "../replay/Replay.ts"
import { kafkaFor } from "./brokers.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"
import { filterFlags, filterFromFlags, kafkaFlags, usageError } from "./dlqFlags.ts"
import { formatCount, formatDurationShort, progressLine, table } from "./render.ts"
import { runFlags } from "./run.ts"

const PLAIN_INTERVAL_MS = 5_000
const TTY_INTERVAL_MS = 100

/** Progress on stderr: a bar rewritten in place on a TTY, a plain line every few seconds otherwise. */
const makeProgressPrinter = () => {
  const tty = process.stderr.isTTY === true
  let lastAt = 0
  let last: ReplayProgress | undefined
  let drawn = false
  const draw = (p: ReplayProgress, force: boolean) => {
    last = p
    const now = Date.now()
    if (!force && now - lastAt < (tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)) return
    lastAt = now
    if (tty) {
      const width = Math.max(10, Math.min(30, (process.stderr.columns ?? 80) - 70))
      process.stderr.write(`\r\x1b[2K${progressLine(p, width)}`)
      drawn = true
    } else process.stderr.write(`${progressLine(p)}\n`)
  }
  return {
    onProgress: (p: ReplayProgress) => draw(p, false),
    /** draws the last state and ends the line, before the summary */
    finish: () => {
      if (last !== undefined && tty) draw(last, true)
      if (drawn) process.stderr.write("\n")
      drawn = false
    },
    last: () => last
  }
}

const summaryJson = (s: ReplaySummary, filter: DlqFilter) => ({
  ...(s.name === undefined ? {} : { name: s.name }),
  dry_run: s.dryRun,
  complete: s.complete,
  resumed: s.resumed,
  filter: describeFilter(filter),
  read: s.scanned,
  matched: s.matched,
  published: s.published,
  skipped_max_replays: s.tooManyReplays,
  undecodable: s.undecodable,
  elapsed_ms: s.elapsedMs,
  ranges: s.ranges,
  selected: s.selected,
  skipped: s.skipped,
  sample: s.sample.map((e) => ({
    coordinate: formatCoordinate(e.coordinate),
    ...(e.record === undefined ? { problem: e.problem } : { record: e.record })
  }))
})

const printSummary = (s: ReplaySummary, filter: DlqFilter, input: string, maxReplays: number | undefined) =>
  Effect.gen(function* () {
    const who = s.name === undefined ? "replay" : `replay '${s.name}'`
    const rate = formatCount(ratePerSecond(s.published, s.elapsedMs))
    if (s.dryRun) {
      yield* Console.log(
        `dry run: ${formatCount(s.matched)} of ${formatCount(s.scanned)} dead letters match (${describeFilter(filter)}); nothing published`
      )
    } else {
      yield* Console.log(
        `${who} done: ${formatCount(s.matched)} dead letters selected, ${formatCount(s.published)} published to ${input} in ${formatDurationShort(s.elapsedMs)} (${rate}/s)`
      )
    }
    if (s.resumed) yield* Console.log(`  continued from the position recorded by an earlier run of '${s.name}'`)
    for (const r of s.ranges) {
      if (r.start !== r.end) yield* Console.log(`  read partition ${r.partition} offsets ${r.start}–${r.end}`)
    }
    if (s.tooManyReplays > 0) {
      yield* Console.log(
        `  skipped ${formatCount(s.tooManyReplays)} already replayed ${maxReplays} time(s) or more (--max-replays ${maxReplays}):`
      )
      for (const k of s.skipped.slice(0, 20))
        yield* Console.log(`    ${k.coordinate}  event ${k.eventId ?? "?"}  replays ${k.replayCount}`)
      if (s.skipped.length > 20 || s.tooManyReplays > s.skipped.length)
        yield* Console.log(`    … (${formatCount(s.tooManyReplays - 20)} more; see --json)`)
    }
    if (s.undecodable > 0) {
      yield* Console.log(
        `  ${formatCount(s.undecodable)} record(s) are not hookstream dead letters or were kept without their event (too large); not replayed`
      )
    }
    if (s.matched > 0) {
      const reasons = Object.entries(s.selected.byReason).map(([k, v]) => `${k} ${formatCount(v)}`)
      const webhooks = Object.entries(s.selected.byWebhook).map(([k, v]) => `${k} ${formatCount(v)}`)
      yield* Console.log(`  by reason: ${reasons.join(", ")}`)
      yield* Console.log(`  by webhook: ${webhooks.join(", ")}`)
    }
    if (s.dryRun && s.sample.length > 0) {
      yield* Console.log("sample:")
      yield* Console.log(
        table(
          ["COORDINATE", "WEBHOOK", "REASON", "EVENT", "FAILED MODULES", "REPLAYS"],
          s.sample.map((e) => [
            formatCoordinate(e.coordinate),
            e.record?.webhook_id ?? "",
            e.record?.reason ?? "",
            e.record?.event_id ?? "",
            e.record?.failed_modules.join(",") ?? "",
            String(e.record?.replay_count ?? "")
          ])
        )
      )
    }
  })

export const replayCommand = Command.make(
  "replay",
  {
    ...kafkaFlags,
    input: runFlags.input,
    producerClient: runFlags.producerClient,
    ...filterFlags,
    name: Flag.String("name").pipe(
      Flag.withDescription(
        "Name this replay to make it resumable: its DLQ position is recorded (consumer group hookstream-replay-<name>) with each batch, and a rerun continues where it stopped"
      ),
      Flag.optional
    ),
    allModules: Flag.Boolean("all-modules").pipe(
      Flag.withDescription("Re-run the whole chain (default: only the modules that failed)"),
      Flag.withDefault(false)
    ),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("Print how many dead letters match and a sample; publish nothing"),
      Flag.withDefault(false)
    ),
    rate: Flag.String("rate").pipe(
      Flag.withDescription("Publish at most this many events per second: 50, 50/s, 600/m"),
      Flag.optional
    ),
    maxReplays: Flag.Int("max-replays").pipe(
      Flag.withDescription("Skip (and report) events already replayed this many times"),
      Flag.optional
    ),
    batchSize: Flag.Int("batch-size").pipe(
      Flag.withDescription("Events per Kafka transaction, at most (default 500)"),
      Flag.withDefault(500)
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the summary as JSON"), Flag.withDefault(false))
  },
  Effect.fn("replay")(function* (flags) {
    const filter = yield* filterFromFlags("replay", flags)
    const name = Option.getOrUndefined(flags.name)
    if (name !== undefined && !isValidReplayName(name))
      return yield* usageError("replay", `--name: letters, digits, '.', '_' and '-' only (1–100), got '${name}'`)
    let rate: number | undefined
    if (Option.isSome(flags.rate)) {
      rate = parseRate(flags.rate.value)
      if (rate === undefined)
        return yield* usageError("replay", `--rate: expected N, N/s or N/m, got '${flags.rate.value}'`)
    }
    const maxReplays = Option.getOrUndefined(flags.maxReplays)
    if (maxReplays !== undefined && maxReplays < 1) return yield* usageError("replay", "--max-replays must be ≥ 1")
    if (flags.batchSize < 1) return yield* usageError("replay", "--batch-size must be ≥ 1")
    const kafka = yield* kafkaFor("replay", flags.brokers)

    const printer = makeProgressPrinter()
    const summary = yield* replay(kafka, {
      dlqTopic: flags.dlq,
      inputTopic: flags.input,
      filter,
      ...(name === undefined ? {} : { name }),
      allModules: flags.allModules,
      dryRun: flags.dryRun,
      ...(rate === undefined ? {} : { ratePerSecond: rate }),
      ...(maxReplays === undefined ? {} : { maxReplays }),
      maxBatchRecords: flags.batchSize,
      producerClient: flags.producerClient,
      onProgress: printer.onProgress
    }).pipe(
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          printer.finish()
          const p = printer.last()
          const done = p === undefined ? "" : ` after ${formatCount(p.published)} published`
          const rerun =
            name === undefined
              ? "this replay had no --name, so a rerun starts from the beginning"
              : `run it again with --name ${name} to continue`
          process.stderr.write(`replay interrupted${done}; ${rerun}\n`)
        })
      ),
      Effect.catchTags({
        ReplayError: (e) =>
          Effect.andThen(
            Effect.sync(() => printer.finish()),
            Console.error(`hookstream replay: ${e.message}`).pipe(
              Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
            )
          ),
        KafkaError: (e) =>
          Effect.andThen(
            Effect.sync(() => printer.finish()),
            Console.error(
              `hookstream replay: Kafka failed (${e.operation}: ${e.message})${name === undefined ? "" : `; run it again with --name ${name} to continue`}`
            ).pipe(Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE }))))
          )
      })
    )
    printer.finish()
    if (flags.json) yield* Console.log(JSON.stringify(summaryJson(summary, filter), null, 2))
    else yield* printSummary(summary, filter, flags.input, maxReplays)
  })
).pipe(
  Command.withDescription(
    "Re-publish dead letters' original events to the input topic (same key, failed modules only by default, replay count + 1). Reads the DLQ up to its end at the start; with --name it is resumable and publishes nothing twice (Kafka transactions). Ctrl-C stops cleanly."
  ),
  Command.withExamples([
    { command: "hookstream replay --webhook orders --dry-run", description: "What would be replayed" },
    {
      command: "hookstream replay --name crm-outage --module notify-crm --since 6h --rate 50/s --max-replays 3",
      description: "Resumable, paced, no endless loops"
    },
    {
      command: "hookstream replay --reason unknown_webhook --all-modules",
      description: "After adding the missing stream"
    }
  ])
)
