/**
 * Loading from disk: find the stream files and the connections file, read them, and run
 * the pure pipeline (loadSources.ts). This is what the processor calls at startup and what
 * `hookstream validate` runs; both see the same issues.
 *
 * Discovery: each path is a file or a directory (read non-recursively: *.yaml, *.yml,
 * *.json, hidden files skipped). Files named `connections.{yaml,yml,json}` are the
 * connections file, never streams. Without `connectionsFile`, the first directory given
 * (or holding a given file) that has one provides it. A `webhooks.json` is the original
 * system's format and is converted on the fly.
 */
import { Effect, FileSystem, Path } from "effect"
import { payloadSchemaPath } from "./buildPayloadContract.ts"
import { ConfigErrors, type ConfigIssue, sortIssues } from "./ConfigIssue.ts"
import type { Env } from "./EnvSubstitution.ts"
import { isLegacyWebhooksFile } from "./legacy/convertLegacy.ts"
import { type Validation, validateSources } from "./loadSources.ts"
import { isConfigFileName, parseSource, type SourceText } from "./SourceDocument.ts"
import type { LoadedConfig } from "./StreamDefinition.ts"

export const DEFAULT_STREAMS_DIR = "streams"

export interface LoadOptions {
  /** stream files or directories; default `streams/` */
  readonly paths?: ReadonlyArray<string>
  /** the connections file; default: found next to the streams */
  readonly connectionsFile?: string
  readonly env: Env
}

const CONNECTIONS_NAMES = ["connections.yaml", "connections.yml", "connections.json"]

const isConnectionsFile = (path: Path.Path, file: string): boolean =>
  CONNECTIONS_NAMES.includes(path.basename(file).toLowerCase())

/** The file a stream's `payload_schema` names, when it names one (a literal path; `${VAR}` is not resolved here). */
const schemaReference = (source: SourceText): ReadonlyArray<string> => {
  const parsed = parseSource(source)
  if (parsed._tag !== "Parsed" || typeof parsed.value !== "object" || parsed.value === null) return []
  const reference = (parsed.value as Record<string, unknown>)["payload_schema"]
  return typeof reference === "string" && !reference.includes("${") ? [payloadSchemaPath(source.path, reference)] : []
}

/** Reads every file the options name; problems reading are issues, never failures. */
export const readStreamSources = Effect.fnUntraced(function* (options: LoadOptions) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const issues: Array<ConfigIssue> = []
  const streamFiles: Array<string> = []
  const connectionCandidates: Array<string> = []
  const searchDirs: Array<string> = []

  for (const given of options.paths ?? [DEFAULT_STREAMS_DIR]) {
    const info = yield* fs.stat(given).pipe(Effect.option)
    if (info._tag === "None") {
      issues.push({ file: given, path: "", message: "no such file or directory" })
      continue
    }
    if (info.value.type === "Directory") {
      searchDirs.push(given)
      const entries = (yield* fs.readDirectory(given).pipe(Effect.orElseSucceed(() => []))).sort()
      const found = entries.filter((name) => !name.startsWith(".") && isConfigFileName(name))
      const legacy = found.filter((name) => isLegacyWebhooksFile(name))
      // a directory holding the original system's files is read as that format
      const streams = legacy.length > 0 ? legacy : found.filter((name) => !isConnectionsFile(path, name))
      if (streams.length === 0)
        issues.push({ file: given, path: "", message: "no stream files (*.yaml, *.yml, *.json) here" })
      streamFiles.push(...streams.map((name) => path.join(given, name)))
    } else if (isConnectionsFile(path, given)) connectionCandidates.push(given)
    else {
      searchDirs.push(path.dirname(given))
      streamFiles.push(given)
    }
  }

  let connectionsFile = options.connectionsFile ?? connectionCandidates[0]
  if (connectionsFile === undefined) {
    for (const dir of searchDirs) {
      for (const name of CONNECTIONS_NAMES) {
        const candidate = path.join(dir, name)
        if (connectionsFile === undefined && (yield* fs.exists(candidate).pipe(Effect.orElseSucceed(() => false)))) {
          connectionsFile = candidate
        }
      }
    }
  }

  const read = (file: string) =>
    fs.readFileString(file).pipe(
      Effect.map((text): SourceText | undefined => ({ path: file, text })),
      Effect.catch(() => {
        issues.push({ file, path: "", message: "cannot be read (missing or not permitted)" })
        return Effect.succeed(undefined)
      })
    )
  const streams: Array<SourceText> = []
  for (const file of [...new Set(streamFiles)]) {
    const source = yield* read(file)
    if (source !== undefined) streams.push(source)
  }
  const connections = connectionsFile === undefined ? undefined : yield* read(connectionsFile)
  // payload_schema files: read here so the pipeline stays pure; one it cannot find is its issue
  const files: Array<SourceText> = []
  for (const file of new Set(streams.flatMap(schemaReference))) {
    const text = yield* fs.readFileString(file).pipe(Effect.option)
    if (text._tag === "Some") files.push({ path: file, text: text.value })
  }
  return { streams, connections, files, issues }
})

/** Every issue and warning, and the config when there are none: what `hookstream validate` prints. */
export const validateStreams = Effect.fnUntraced(function* (options: LoadOptions) {
  const read = yield* readStreamSources(options)
  const validation = validateSources({
    streams: read.streams,
    ...(read.connections === undefined ? {} : { connections: read.connections }),
    files: read.files,
    env: options.env
  })
  if (read.issues.length === 0) return validation
  const combined: Validation = {
    config: undefined,
    issues: sortIssues([...read.issues, ...validation.issues]),
    warnings: validation.warnings
  }
  return combined
})

/** The processor's entry point: the frozen config, or `ConfigErrors` with every issue. */
export const loadStreams = (
  options: LoadOptions
): Effect.Effect<LoadedConfig, ConfigErrors, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(validateStreams(options), (validation) =>
    validation.config === undefined
      ? Effect.fail(new ConfigErrors({ issues: validation.issues }))
      : Effect.succeed(validation.config)
  )
