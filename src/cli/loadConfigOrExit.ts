/**
 * Loading the streams for a command that needs them (run, ingress, test): on any problem,
 * print every issue exactly as `hookstream validate` does and exit 1 before doing anything.
 */
import { Console, Effect } from "effect"
import { formatIssue } from "../config/ConfigIssue.ts"
import { loadStreams } from "../config/loadStreams.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"

export interface ConfigSource {
  /** stream files or directories; empty = the default `streams/` */
  readonly paths: ReadonlyArray<string>
  /** the connections file; absent = found next to the streams */
  readonly connections?: string
}

/** `--streams a,b` (and its env variable) as paths */
export const streamPaths = (value: string): ReadonlyArray<string> => value.split(",").filter((p) => p !== "")

export const loadConfigOrExit = (command: string, source: ConfigSource, consequence: string) =>
  loadStreams({
    ...(source.paths.length === 0 ? {} : { paths: source.paths }),
    ...(source.connections === undefined || source.connections === "" ? {} : { connectionsFile: source.connections }),
    env: process.env
  }).pipe(
    Effect.catchTag("ConfigErrors", (errors) =>
      Effect.gen(function* () {
        for (const issue of errors.issues) yield* Console.error(formatIssue(issue))
        yield* Console.error(`hookstream ${command}: ${errors.issues.length} problem(s) in the streams; ${consequence}`)
        return yield* new CliExit({ code: EXIT_FAILURE })
      })
    )
  )
