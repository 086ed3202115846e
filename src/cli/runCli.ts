/**
 * Runs the command line and answers with the process exit code: 0 success, 1 failure
 * (invalid input, failed operation), 2 usage error (unknown command or flag, missing or
 * malformed argument). effect/cli prints help and parse errors itself but fails the same
 * way for both kinds; the codes are decided here. A parse error prints the error and a
 * one-line hint, not the whole help (which buried the error under two screens). Kept apart
 * from main.ts so tests can run the CLI in-process.
 */
import { Console, Effect } from "effect"
import { CliOutput, Command } from "effect/cli"
import packageJson from "../../package.json" with { type: "json" }
import { CliExit, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, helpHint } from "./CliExit.ts"
import { hookstreamFor } from "./rootCommand.ts"

const isTagged = (error: unknown, tag: string): boolean =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === tag

const presenter = CliOutput.layerPresenter({
  present: (event): Effect.Effect<void> =>
    event._tag === "InvalidInvocation"
      ? Effect.gen(function* () {
          const formatter = yield* CliOutput.Formatter
          const command = event.commandPath.join(" ")
          for (const error of event.errors) yield* Console.error(`${command}: ${formatter.formatCliError(error)}`)
          yield* Console.error(helpHint(event.commandPath.slice(1).join(" ")))
        })
      : CliOutput.defaultPresenter.present(event)
})

export const runCli = (args: ReadonlyArray<string>) =>
  Effect.promise(() => hookstreamFor(args)).pipe(
    Effect.flatMap((hookstream) => Command.runWith(hookstream, { version: packageJson.version })(args)),
    Effect.provide(presenter),
    Effect.as(EXIT_OK),
    Effect.catch((error: unknown) => {
      if (error instanceof CliExit) return Effect.succeed(error.code)
      // ShowHelp: help was printed; with errors it was a usage error, without (bare `hookstream`) too
      if (isTagged(error, "ShowHelp")) return Effect.succeed(EXIT_USAGE)
      if (typeof error === "object" && error !== null && "_tag" in error && String(error._tag).includes("Cli")) {
        return Effect.succeed(EXIT_USAGE)
      }
      return Console.error(`hookstream: ${error instanceof Error ? error.message : String(error)}`).pipe(
        Effect.as(EXIT_FAILURE)
      )
    })
  )
