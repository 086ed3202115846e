/**
 * `hookstream validate [paths…] [--connections file] [--json]`: load stream files the way
 * the processor does and report every problem. Exit 0 when valid, 1 with every error as
 * `<file>:<path.to.field>: <reason>` (sorted by file then path), 2 on usage errors.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type ConfigIssue, formatIssue } from "../config/ConfigIssue.ts"
import { DEFAULT_STREAMS_DIR, validateStreams } from "../config/loadStreams.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"

const toJson = (issue: ConfigIssue) => ({
  file: issue.file,
  path: issue.path,
  message: issue.message,
  ...(issue.line === undefined ? {} : { line: issue.line }),
  ...(issue.column === undefined ? {} : { column: issue.column })
})

export const validateCommand = Command.make(
  "validate",
  {
    paths: Argument.String("paths").pipe(
      Argument.withDescription(`Stream files or directories to check (default: ${DEFAULT_STREAMS_DIR}/)`),
      Argument.variadic()
    ),
    connections: Flag.String("connections").pipe(
      Flag.withDescription("The connections file (default: connections.yaml next to the streams)"),
      Flag.optional
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription('Print {"valid", "errors": [{file, path, message}], "warnings"} as JSON'),
      Flag.withDefault(false)
    )
  },
  Effect.fn("validate")(function* ({ paths, connections, json }) {
    const validation = yield* validateStreams({
      ...(paths.length === 0 ? {} : { paths }),
      ...(Option.isSome(connections) ? { connectionsFile: connections.value } : {}),
      env: process.env
    })
    const valid = validation.issues.length === 0
    if (json) {
      const report = { valid, errors: validation.issues.map(toJson), warnings: validation.warnings.map(toJson) }
      yield* Console.log(JSON.stringify(report, null, 2))
    } else {
      for (const warning of validation.warnings) yield* Console.error(`warning: ${formatIssue(warning)}`)
      for (const issue of validation.issues) yield* Console.log(formatIssue(issue))
      if (valid) {
        const ids = validation.config?.streams.map((stream) => stream.plan.webhookId) ?? []
        yield* Console.log(`${ids.length} stream${ids.length === 1 ? "" : "s"} valid: ${ids.join(", ")}`)
      } else {
        const count = validation.issues.length
        yield* Console.error(`${count} problem${count === 1 ? "" : "s"} found`)
      }
    }
    if (!valid) return yield* new CliExit({ code: EXIT_FAILURE })
  })
).pipe(
  Command.withDescription(
    "Check stream definitions and connections as the processor would load them; print every problem as <file>:<path>: <reason>. Exit 0 valid, 1 invalid, 2 usage error."
  ),
  Command.withExamples([
    { command: "hookstream validate", description: "Check streams/ (and streams/connections.yaml)" },
    { command: "hookstream validate streams/orders.yaml --json", description: "One file, machine-readable" },
    {
      command: "hookstream validate examples/legacy/webhooks.json --connections examples/legacy/connections.json",
      description: "Check the original system's config"
    }
  ])
)
