/**
 * Loading the streams for a command that needs them (run, ingress, test): on any problem,
 * print every issue exactly as `hookstream validate` does and exit 1 before doing anything.
 */
import { Console, Effect } from "effect"
import { formatIssue } from "../config/ConfigIssue.ts"
import type { Env } from "../config/EnvSubstitution.ts"
import { type LoadOptions, loadStreams } from "../config/loadStreams.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"

export interface ConfigSource {
  /** stream files or directories; empty = the default `streams/` */
  readonly paths: ReadonlyArray<string>
  /** the connections file; absent = found next to the streams */
  readonly connections?: string
}

/** `--streams a,b` (and its env variable) as paths */
export const streamPaths = (value: string): ReadonlyArray<string> => value.split(",").filter((p) => p !== "")

/** The loader's options for `source` (what `run`'s start and its reloads both read) */
export const loadOptions = (source: ConfigSource, env: Env = process.env): LoadOptions => ({
  ...(source.paths.length === 0 ? {} : { paths: source.paths }),
  ...(source.connections === undefined || source.connections === "" ? {} : { connectionsFile: source.connections }),
  env
})

export const loadConfigOrExit = (command: string, source: ConfigSource, consequence: string) =>
  loadStreams(loadOptions(source)).pipe(
    Effect.catchTag("ConfigErrors", (errors) =>
      Effect.gen(function* () {
        for (const issue of errors.issues) yield* Console.error(formatIssue(issue))
        yield* Console.error(`hookstream ${command}: ${errors.issues.length} problem(s) in the streams; ${consequence}`)
        return yield* new CliExit({ code: EXIT_FAILURE })
      })
    )
  )
