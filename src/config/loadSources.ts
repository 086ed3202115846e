/**
 * The pure loading pipeline: file texts in, frozen `LoadedConfig` (or every problem) out.
 * No file system, no clock: tests and `hookstream validate` call it with in-memory texts;
 * `loadStreams` (loadStreams.ts) reads the files and calls it.
 */
import { Result } from "effect"
import { buildStream } from "./buildStream.ts"
import { ConfigErrors, type ConfigIssue, sortIssues } from "./ConfigIssue.ts"
import { configVersion } from "./configVersion.ts"
import { deepFreeze } from "./deepFreeze.ts"
import type { Env } from "./EnvSubstitution.ts"
import { convertLegacy, isLegacyWebhooksFile } from "./legacy/convertLegacy.ts"
import { type ConnectionsLoad, loadConnectionsDocument, noConnections } from "./loadConnections.ts"
import { parseSource, type SourceText } from "./SourceDocument.ts"
import type { LoadedConfig, StreamDefinition } from "./StreamDefinition.ts"

export interface LoadInput {
  /** stream files (YAML/JSON), or a legacy `webhooks.json` */
  readonly streams: ReadonlyArray<SourceText>
  readonly connections?: SourceText
  /** files the streams reference (payload_schema files), by path as resolved from the stream file */
  readonly files?: ReadonlyArray<SourceText>
  readonly env: Env
}

export interface Validation {
  /** present only when there are no issues */
  readonly config: LoadedConfig | undefined
  /** sorted by file then path */
  readonly issues: ReadonlyArray<ConfigIssue>
  readonly warnings: ReadonlyArray<ConfigIssue>
}

export const validateSources = (input: LoadInput): Validation => {
  const issues: Array<ConfigIssue> = []
  const warnings: Array<ConfigIssue> = []
  const legacy = input.streams.filter((source) => isLegacyWebhooksFile(source.path))
  if (legacy.length > 0 && legacy.length !== input.streams.length) {
    issues.push({
      file: legacy[0]?.path ?? "",
      path: "",
      message: "load either stream files or a legacy webhooks.json, not both (convert it with hookstream import)"
    })
    return { config: undefined, issues: sortIssues(issues), warnings }
  }

  const documents: Array<{
    readonly file: string
    readonly value: unknown
    readonly display?: (p: ReadonlyArray<PropertyKey>) => string
  }> = []
  let connections: ConnectionsLoad = noConnections
  if (legacy.length > 0) {
    const converted = convertLegacy(legacy, input.connections, input.env)
    issues.push(...converted.issues)
    warnings.push(...converted.warnings)
    documents.push(...converted.streams)
    connections = converted.connections
  } else {
    if (input.connections !== undefined) {
      const parsed = parseSource(input.connections)
      if (parsed._tag === "Invalid") {
        issues.push(...parsed.issues)
        connections = { ...noConnections, file: input.connections.path }
      } else connections = loadConnectionsDocument(input.connections.path, parsed.value, input.env)
    }
    for (const source of input.streams) {
      const parsed = parseSource(source)
      if (parsed._tag === "Invalid") issues.push(...parsed.issues)
      else documents.push({ file: source.path, value: parsed.value })
    }
  }
  issues.push(...connections.issues)

  const files = new Map((input.files ?? []).map((f) => [f.path, f.text]))
  const streams: Array<StreamDefinition> = []
  const firstFileOfId = new Map<string, string>()
  for (const document of documents) {
    const built = buildStream(document.value, {
      file: document.file,
      env: input.env,
      connections,
      files,
      ...(document.display === undefined ? {} : { displayPath: document.display })
    })
    issues.push(...built.issues)
    if (built.id !== undefined) {
      const first = firstFileOfId.get(built.id)
      if (first !== undefined) {
        issues.push({
          file: document.file,
          path: document.display?.(["id"]) ?? "id",
          message: `stream id '${built.id}' is already defined in ${first}; each webhook id may have one stream`
        })
      } else firstFileOfId.set(built.id, document.file)
    }
    if (built.stream !== undefined) streams.push(built.stream)
  }

  if (issues.length > 0) return { config: undefined, issues: sortIssues(issues), warnings: sortIssues(warnings) }
  const read = [
    ...input.streams,
    ...(input.connections === undefined ? [] : [input.connections]),
    ...(input.files ?? [])
  ]
  const config: LoadedConfig = {
    streams: deepFreeze(streams),
    byWebhookId: new Map(streams.map((stream) => [stream.plan.webhookId, stream])),
    connections: new Map([...connections.connections].map(([name, entry]) => [name, deepFreeze(entry)])),
    warnings: deepFreeze(sortIssues(warnings)),
    version: configVersion(read),
    files: read.map((source) => source.path)
  }
  return { config, issues: [], warnings: config.warnings }
}

/** `validateSources` as a Result: the config, or `ConfigErrors` carrying every issue. */
export const loadStreamsFromSources = (input: LoadInput): Result.Result<LoadedConfig, ConfigErrors> => {
  const validation = validateSources(input)
  return validation.config === undefined
    ? Result.fail(new ConfigErrors({ issues: validation.issues }))
    : Result.succeed(validation.config)
}
