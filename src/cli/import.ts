/**
 * `hookstream import webhooks.json [--connections connections.json] [--out streams/] [--force]`:
 * converts the original system's config into stream files (one `<id>.yaml` per webhook) and
 * a `connections.yaml`, after checking the result exactly as `validate` would. Nothing is
 * written when there are errors, and existing files are not overwritten without --force.
 * Secret values are not copied: they become `${VAR}` references, and the variables to set
 * are listed.
 */
import { Console, Effect, FileSystem, Option, Path } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { stringify } from "yaml"
import { formatIssue } from "../config/ConfigIssue.ts"
import { convertLegacy } from "../config/legacy/convertLegacy.ts"
import { validateSources } from "../config/loadSources.ts"
import type { SourceText } from "../config/SourceDocument.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"
import { externalizeSecrets } from "./externalizeSecrets.ts"

const header = (source: string) => `# Converted from ${source} by hookstream import; review, then commit.\n`

export const importCommand = Command.make(
  "import",
  {
    webhooks: Argument.String("webhooks.json").pipe(Argument.withDescription("The original system's webhooks.json")),
    connections: Flag.String("connections").pipe(
      Flag.withDescription("The original system's connections.json (default: next to webhooks.json, if present)"),
      Flag.optional
    ),
    out: Flag.String("out").pipe(
      Flag.withDescription("Directory to write stream files into"),
      Flag.withDefault("streams")
    ),
    force: Flag.Boolean("force").pipe(
      Flag.withDescription("Overwrite files that already exist"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("import")(function* ({ webhooks, connections, out, force }) {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const read = (file: string) =>
      fs.readFileString(file).pipe(
        Effect.map((text): SourceText => ({ path: file, text })),
        Effect.catch(() =>
          Console.log(`${file}: cannot be read (missing or not permitted)`).pipe(
            Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
          )
        )
      )
    const sibling = path.join(path.dirname(webhooks), "connections.json")
    const connectionsFile = Option.isSome(connections)
      ? connections.value
      : (yield* fs.exists(sibling).pipe(Effect.orElseSucceed(() => false)))
        ? sibling
        : undefined
    const source = yield* read(webhooks)
    const connectionsSource = connectionsFile === undefined ? undefined : yield* read(connectionsFile)

    const converted = convertLegacy([source], connectionsSource, process.env)
    const secrets = externalizeSecrets(converted.connectionsDocument)
    // the same pipeline loading uses; the written files differ only in secrets becoming ${VAR}
    const validation = validateSources({
      streams: [source],
      ...(connectionsSource === undefined ? {} : { connections: connectionsSource }),
      env: process.env
    })
    for (const warning of validation.warnings) yield* Console.error(`warning: ${formatIssue(warning)}`)
    if (validation.issues.length > 0) {
      for (const issue of validation.issues) yield* Console.log(formatIssue(issue))
      yield* Console.error(`${validation.issues.length} problem(s); nothing written`)
      return yield* new CliExit({ code: EXIT_FAILURE })
    }

    const files = converted.streams.map((stream) => ({
      file: path.join(out, `${stream.id}.yaml`),
      text: header(webhooks) + stringify(stream.value, { lineWidth: 0 })
    }))
    if (Object.keys(secrets.document).length > 0) {
      files.push({
        file: path.join(out, "connections.yaml"),
        text: header(connectionsFile ?? "connections.json") + stringify(secrets.document, { lineWidth: 0 })
      })
    }
    const existing: Array<string> = []
    for (const { file } of files)
      if (yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false))) existing.push(file)
    if (existing.length > 0 && !force) {
      for (const file of existing) yield* Console.log(`${file}: already exists (use --force to overwrite)`)
      return yield* new CliExit({ code: EXIT_FAILURE })
    }
    yield* fs.makeDirectory(out, { recursive: true })
    for (const { file, text } of files) {
      yield* fs.writeFileString(file, text)
      yield* Console.log(`wrote ${file}`)
    }
    if (secrets.variables.length > 0) {
      yield* Console.log(
        `secrets were not copied; set these variables (their values are in ${connectionsFile}): ${secrets.variables.join(", ")}`
      )
    }
  })
).pipe(
  Command.withDescription(
    "Convert the original system's webhooks.json (+ connections.json) into stream files and connections.yaml"
  ),
  Command.withExamples([
    {
      command: "hookstream import examples/legacy/webhooks.json --out imported/",
      description: "Convert, the connections.json next to it included"
    },
    {
      command:
        "hookstream import examples/legacy/webhooks.json --connections examples/legacy/connections.json --out imported/ --force",
      description: "Name the connections file; overwrite earlier conversions"
    }
  ])
)
