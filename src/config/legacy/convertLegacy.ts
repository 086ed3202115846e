/**
 * The original system's `webhooks.json` (+ `connections.json`) → stream documents and a
 * connections document in our format, which then go through the same loader as stream
 * files: the same plans, the same checks. Errors point into the legacy files, in their
 * own layout (`orders.chain.1.module-config.topic`). Used by loading (`hookstream validate
 * webhooks.json`, the processor) and by `hookstream import`.
 */
import type { ConfigIssue } from "../ConfigIssue.ts"
import type { Env } from "../EnvSubstitution.ts"
import { type ConnectionsLoad, loadConnectionsDocument, noConnections } from "../loadConnections.ts"
import { parseSource, type SourceText } from "../SourceDocument.ts"
import { makeNotes } from "./LegacyNotes.ts"
import { convertConnections, legacyConnectionFieldName } from "./legacyConnections.ts"
import { convertWebhook } from "./legacyWebhook.ts"

export const isLegacyWebhooksFile = (path: string): boolean => /(^|[\\/])webhooks\.json$/i.test(path)

export interface LegacyStream {
  readonly file: string
  readonly id: string
  /** the stream document in our format */
  readonly value: Record<string, unknown>
  /** our document path → the legacy file's path */
  readonly display: (path: ReadonlyArray<PropertyKey>) => string
}

export interface LegacyConversion {
  readonly streams: ReadonlyArray<LegacyStream>
  /** our connections document (what `hookstream import` writes) */
  readonly connectionsDocument: Record<string, unknown>
  readonly connections: ConnectionsLoad
  readonly issues: ReadonlyArray<ConfigIssue>
  readonly warnings: ReadonlyArray<ConfigIssue>
}

const SINGLE_MODULE_KEYS: Readonly<Record<string, string>> = { config: "module-config" }

/** Maps a path in our stream document back to where it came from in webhooks.json. */
const displayFor =
  (id: string, single: boolean) =>
  (path: ReadonlyArray<PropertyKey>): string => {
    const [head, index, field, ...rest] = path.map(String)
    if (head === undefined) return id
    if (head === "execution" || head === "continue_on_error" || head === "timeout") {
      return [id, "chain-config", head, index, field, ...rest].filter((p) => p !== undefined).join(".")
    }
    if (head !== "chain" || index === undefined) return [id, ...path.map(String)].join(".")
    const legacyField = field === "config" ? "module-config" : field
    const tail = field === "retry" && rest[0] === "multiplier" ? ["backoff_multiplier", ...rest.slice(1)] : rest
    if (single) {
      const top = legacyField === undefined ? [] : [SINGLE_MODULE_KEYS[field ?? ""] ?? legacyField]
      return [id, ...top, ...tail].join(".")
    }
    return [id, "chain", index, ...(legacyField === undefined ? [] : [legacyField]), ...tail].join(".")
  }

export const convertLegacy = (
  sources: ReadonlyArray<SourceText>,
  connectionsSource: SourceText | undefined,
  env: Env
): LegacyConversion => {
  const issues: Array<ConfigIssue> = []
  const warnings: Array<ConfigIssue> = []
  const report = (file: string, notes: ReturnType<typeof makeNotes>) => {
    issues.push(...notes.errors.map((n) => ({ file, path: n.path, message: n.message })))
    warnings.push(...notes.warnings.map((n) => ({ file, path: n.path, message: n.message })))
  }

  let connectionsDocument: Record<string, unknown> = {}
  let legacyTypes: ReadonlyMap<string, string> = new Map()
  if (connectionsSource !== undefined) {
    const parsed = parseSource(connectionsSource)
    if (parsed._tag === "Invalid") issues.push(...parsed.issues)
    else {
      const notes = makeNotes()
      const converted = convertConnections(parsed.value, notes)
      report(connectionsSource.path, notes)
      connectionsDocument = converted.document
      legacyTypes = converted.legacyTypes
    }
  }
  const connectionTypes = new Map(
    Object.entries(connectionsDocument).map(([name, entry]) => [name, String((entry as { type: unknown }).type)])
  )
  const synthesizeRedis = (id: string, redis: Record<string, unknown>): string => {
    const name = `${id}-redis`
    connectionsDocument[name] = {
      type: "redis",
      host: redis["host"] ?? "localhost",
      port: redis["port"] ?? 6379,
      ...(redis["db"] === undefined ? {} : { db: redis["db"] })
    }
    connectionTypes.set(name, "redis")
    return name
  }

  const streams: Array<LegacyStream> = []
  for (const source of sources) {
    const parsed = parseSource(source)
    if (parsed._tag === "Invalid") {
      issues.push(...parsed.issues)
      continue
    }
    const document = parsed.value
    if (typeof document !== "object" || document === null || Array.isArray(document)) {
      issues.push({ file: source.path, path: "", message: "expected a dictionary of webhook id to webhook config" })
      continue
    }
    for (const [id, webhook] of Object.entries(document)) {
      const notes = makeNotes()
      const value = convertWebhook(id, webhook, { connectionTypes, synthesizeRedis }, notes)
      report(source.path, notes)
      if (value === undefined) continue
      const w = webhook as Record<string, unknown>
      if (value["execution"] !== "parallel" && value["timeout"] === undefined) {
        warnings.push({
          file: source.path,
          path: `${id}.chain-config.timeout`,
          message:
            "sequential chains now have a deadline too (default 30s); set chain-config.timeout if they need longer"
        })
      }
      streams.push({
        file: source.path,
        id,
        value,
        display: displayFor(id, w["chain"] === null || w["chain"] === undefined)
      })
    }
  }

  const connectionsFile = connectionsSource?.path
  const connections =
    connectionsFile === undefined
      ? noConnections
      : loadConnectionsDocument(connectionsFile, connectionsDocument, env, (path) => {
          const [name, field, ...rest] = path.map(String)
          if (name === undefined || field === undefined) return path.map(String).join(".")
          return [name, legacyConnectionFieldName(legacyTypes.get(name), field), ...rest].join(".")
        })
  return { streams, connectionsDocument, connections, issues, warnings }
}
