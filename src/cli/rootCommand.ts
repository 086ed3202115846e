/**
 * The `hookstream` command and its subcommands. Adding a command is one file under cli/
 * exporting a `Command`, and one entry in `subcommands` below.
 */
import { Command } from "effect/cli"
import { consoleCommand } from "./console.ts"
import { dlqCommand } from "./dlq.ts"
import { eventCommand } from "./event.ts"
import { importCommand } from "./import.ts"
import { ingressCommand } from "./ingress.ts"
import { replayCommand } from "./replay.ts"
import { runCommand } from "./run.ts"
import { sendCommand } from "./send.ts"
import { testCommand } from "./test.ts"
import { topicsCommand } from "./topics.ts"
import { validateCommand } from "./validate.ts"

export const subcommands = [
  runCommand,
  ingressCommand,
  sendCommand,
  eventCommand,
  validateCommand,
  testCommand,
  importCommand,
  dlqCommand,
  replayCommand,
  consoleCommand,
  topicsCommand
] as const

export const hookstream = Command.make("hookstream").pipe(
  Command.withDescription(
    "Webhook fan-out from Kafka: supervised chains of destinations with deadlines, retries, result records and a replayable dead-letter topic"
  ),
  Command.withSubcommands(subcommands)
)
