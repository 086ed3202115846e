/**
 * Flags shared by `hookstream dlq …` and `hookstream replay`: where Kafka and the topics are
 * (the same flags and environment variables as `hookstream run`), and the dead-letter
 * filters, parsed once by `parseFilter` so every command selects the same records.
 */
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import { type DlqFilter, parseFilter } from "../dlq/DlqFilter.ts"
import { type CliExit, usageError } from "./CliExit.ts"
import { runFlags } from "./run.ts"

const list = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.atLeast(0))

export const filterFlags = {
  webhook: list("webhook", "Only dead letters of this webhook id (repeatable, or comma-separated)"),
  reason: list(
    "reason",
    "Only this reason: chain_failed, timed_out, invalid_event, unknown_webhook, payload_too_large, filter_failed, invalid_payload (repeatable)"
  ),
  module: list("module", "Only dead letters where this module id failed (repeatable)"),
  key: list("key", "Only records with this Kafka key (repeatable)"),
  since: Flag.String("since").pipe(
    Flag.withDescription("Only dead letters that failed at or after this time: 2h (ago), 7d, 2026-01-31, or RFC 3339"),
    Flag.optional
  ),
  until: Flag.String("until").pipe(
    Flag.withDescription("Only dead letters that failed before this time (same forms as --since)"),
    Flag.optional
  ),
  fromOffset: Flag.String("from-offset").pipe(
    Flag.withDescription("Skip DLQ records below this offset: OFFSET (every partition) or PARTITION:OFFSET[,…]"),
    Flag.optional
  )
}

export const kafkaFlags = { brokers: runFlags.brokers, dlq: runFlags.dlq }

export interface FilterFlags {
  readonly webhook: ReadonlyArray<string>
  readonly reason: ReadonlyArray<string>
  readonly module: ReadonlyArray<string>
  readonly key: ReadonlyArray<string>
  readonly since: Option.Option<string>
  readonly until: Option.Option<string>
  readonly fromOffset: Option.Option<string>
}

export { usageError }

/** The filter the flags describe, or a usage error (exit 2) naming the flag. */
export const filterFromFlags = (command: string, flags: FilterFlags): Effect.Effect<DlqFilter, CliExit> =>
  Effect.suspend(() => {
    const parsed = parseFilter(
      {
        webhook: flags.webhook,
        reason: flags.reason,
        module: flags.module,
        key: flags.key,
        ...Option.match(flags.since, { onNone: () => ({}), onSome: (since) => ({ since }) }),
        ...Option.match(flags.until, { onNone: () => ({}), onSome: (until) => ({ until }) }),
        ...Option.match(flags.fromOffset, { onNone: () => ({}), onSome: (fromOffset) => ({ fromOffset }) })
      },
      Date.now()
    )
    return parsed._tag === "Ok" ? Effect.succeed(parsed.filter) : usageError(command, parsed.message)
  })

/** `--json` of the commands that print a table on a terminal and JSON otherwise */
export const jsonFlag = Flag.Boolean("json").pipe(
  Flag.withDescription("Print JSON (the default when stdout is not a terminal)"),
  Flag.withDefault(false)
)

/** Whether output goes to a person (a TTY) rather than a pipe or file. */
export const isTty = (): boolean => process.stdout.isTTY === true
