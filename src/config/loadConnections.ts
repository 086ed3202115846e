/**
 * The connections file (default `streams/connections.yaml`): a mapping of connection
 * name → entry with a `type` and that type's fields. `${VAR}` substitution happens first;
 * each entry is decoded by its type's schema (from the module registry).
 */
import { suggestionSuffix } from "../domain/didYouMean.ts"
import { formatValue, type IssuePath } from "../domain/SchemaIssues.ts"
import type { ConnectionType } from "../modules/registry.ts"
import { connectionSpecFor, connectionTypes } from "../modules/registry.ts"
import { NAME_PATTERN } from "../schema/Identifiers.ts"
import type { ConfigIssue } from "./ConfigIssue.ts"
import { decodeSection } from "./decodeSection.ts"
import { type Env, substituteEnv } from "./EnvSubstitution.ts"
import type { Connection } from "./StreamDefinition.ts"

export interface ConnectionsLoad {
  /** the file's path, for messages that point at it */
  readonly file: string | undefined
  readonly connections: ReadonlyMap<string, Connection>
  /**
   * Every name the file declares, valid or not, with the `type` it claims: a step naming an
   * entry that failed to decode is told about that entry, not that it "does not exist".
   */
  readonly declared: ReadonlyMap<string, string | undefined>
  readonly issues: ReadonlyArray<ConfigIssue>
}

export const noConnections: ConnectionsLoad = {
  file: undefined,
  connections: new Map(),
  declared: new Map(),
  issues: []
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const loadConnectionsDocument = (
  file: string,
  document: unknown,
  env: Env,
  displayPath?: (path: IssuePath) => string
): ConnectionsLoad => {
  const substitution = substituteEnv(document ?? {}, env)
  const issues: Array<ConfigIssue> = substitution.problems.map((p) => ({
    file,
    path: p.path.join("."),
    message: p.message
  }))
  const connections = new Map<string, Connection>()
  const declared = new Map<string, string | undefined>()
  const root = substitution.value
  if (!isMapping(root)) {
    issues.push({
      file,
      path: "",
      message: `expected a mapping of connection name to connection, got ${formatValue(root)}`
    })
    return { file, connections, declared, issues }
  }
  const context = {
    file,
    substituted: substitution.substituted,
    wholeReferences: substitution.wholeReferences,
    unresolved: substitution.unresolved,
    ...(displayPath === undefined ? {} : { displayPath })
  }
  for (const [name, entry] of Object.entries(root)) {
    const type = isMapping(entry) && typeof entry["type"] === "string" ? entry["type"] : undefined
    declared.set(name, type)
    if (!NAME_PATTERN.test(name)) {
      issues.push({
        file,
        path: name,
        message:
          "invalid connection name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
      })
    }
    if (!isMapping(entry)) {
      issues.push({ file, path: name, message: `expected a mapping with a 'type', got ${formatValue(entry)}` })
      continue
    }
    if (type === undefined) {
      const message =
        entry["type"] === undefined
          ? `missing required key 'type' (one of ${connectionTypes.join(", ")})`
          : `expected a connection type (one of ${connectionTypes.join(", ")}), got ${formatValue(entry["type"])}`
      issues.push({ file, path: `${name}.type`, message })
      continue
    }
    if (!(connectionTypes as ReadonlyArray<string>).includes(type)) {
      const hint = suggestionSuffix(type, connectionTypes) || ` (types: ${connectionTypes.join(", ")})`
      issues.push({ file, path: `${name}.type`, message: `unknown connection type '${type}'${hint}` })
      continue
    }
    const decoded = decodeSection(connectionSpecFor(type as ConnectionType).schema, entry, [name], context)
    if (decoded._tag === "Failed") issues.push(...decoded.issues)
    else connections.set(name, decoded.value as Connection)
  }
  return { file, connections, declared, issues }
}
