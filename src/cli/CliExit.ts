/**
 * How a command ends with a non-zero exit code after it has printed what it had to say
 * (1 = the input is invalid or the operation failed, 2 = usage error). The argument parser's
 * own usage errors are printed by runCli.ts the same way as `usageError` below: the error, then
 * one line pointing at the command's --help (never the whole help).
 */
import { Console, Effect, Schema } from "effect"

export class CliExit extends Schema.TaggedError<CliExit>()("CliExit", {
  code: Schema.Int
}) {}

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** The one-line hint after a usage error. `command`: the words after `hookstream`. */
export const helpHint = (command: string): string =>
  `Run 'hookstream ${command === "" ? "" : `${command} `}--help' for usage.`

/** Prints `hookstream <command>: <message>` and the hint, then ends with exit code 2. */
export const usageError = (command: string, message: string): Effect.Effect<never, CliExit> =>
  Console.error(`hookstream ${command}: ${message}\n${helpHint(command)}`).pipe(
    Effect.andThen(Effect.fail(new CliExit({ code: EXIT_USAGE })))
  )

/** Prints `hookstream <command>: <message>`, then ends with exit code 1. */
export const failure = (command: string, message: string): Effect.Effect<never, CliExit> =>
  Console.error(`hookstream ${command}: ${message}`).pipe(
    Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
  )
