/**
 * The `hookstream` command and its subcommands. Adding a command is one file under cli/
 * exporting a `Command`, and one entry in `subcommands` below.
 *
 * Each entry loads its file on demand: a command's file imports what its handler needs (the
 * processor, Kafka clients, database drivers), so `hookstream validate` must not load `run`'s.
 * When the first argument names a subcommand only that one is loaded; otherwise (root help,
 * an unknown or misspelt command) all of them, in this order, for the help and suggestions.
 */
import { Command } from "effect/cli"

const subcommands = {
  run: () => import("./run.ts").then((m) => m.runCommand),
  ingress: () => import("./ingress.ts").then((m) => m.ingressCommand),
  send: () => import("./send.ts").then((m) => m.sendCommand),
  event: () => import("./event.ts").then((m) => m.eventCommand),
  validate: () => import("./validate.ts").then((m) => m.validateCommand),
  test: () => import("./test.ts").then((m) => m.testCommand),
  import: () => import("./import.ts").then((m) => m.importCommand),
  dlq: () => import("./dlq.ts").then((m) => m.dlqCommand),
  replay: () => import("./replay.ts").then((m) => m.replayCommand),
  console: () => import("./console.ts").then((m) => m.consoleCommand),
  topics: () => import("./topics.ts").then((m) => m.topicsCommand)
} as const

type Subcommand = Awaited<ReturnType<(typeof subcommands)[keyof typeof subcommands]>>

const isSubcommand = (name: string | undefined): name is keyof typeof subcommands =>
  name !== undefined && Object.hasOwn(subcommands, name)

/** The root command with the subcommands `args` can reach. */
export const hookstreamFor = async (args: ReadonlyArray<string>) => {
  const first = args[0]
  const loaders = isSubcommand(first) ? [subcommands[first]] : Object.values(subcommands)
  const loaded: ReadonlyArray<Subcommand> = await Promise.all(loaders.map((load) => load()))
  return Command.make("hookstream").pipe(
    Command.withDescription(
      "Webhook fan-out from Kafka: supervised chains of destinations with deadlines, retries, result records and a replayable dead-letter topic"
    ),
    Command.withSubcommands(loaded)
  )
}
