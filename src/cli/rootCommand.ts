/**
 * The `hookstream` command and its subcommands. Adding a command is one file under cli/
 * exporting a `Command`, and one entry in `subcommands` below.
 */
import { Command } from "effect/cli"
import { importCommand } from "./import.ts"
import { runCommand } from "./run.ts"
import { sendCommand } from "./send.ts"
import { testCommand } from "./test.ts"
import { validateCommand } from "./validate.ts"

export const subcommands = [runCommand, sendCommand, validateCommand, testCommand, importCommand] as const

export const hookstream = Command.make("hookstream").pipe(
  Command.withDescription(
    "Webhook fan-out from Kafka: supervised chains of destinations with deadlines, retries, result records and a replayable dead-letter topic"
  ),
  Command.withSubcommands(subcommands)
)
