/**
 * A legacy `connections.json` → our connections document. Types hookstream has no module
 * for (s3, clickhouse, …) are skipped with a warning; renamed fields are mapped
 * (`bootstrap_servers` → `brokers`, rabbitmq `pass` → `password`, `mqtt_version` →
 * `protocol_version`); unknown fields are dropped with a warning.
 */
import { isMapping, type LegacyNotes, typeName } from "./LegacyNotes.ts"

interface TypeMapping {
  readonly type: string
  readonly rename: Readonly<Record<string, string>>
  readonly keep: ReadonlyArray<string>
}

const sql = (type: string): TypeMapping => ({
  type,
  rename: { pool_max_size: "pool_size" },
  keep: ["connection_string", "host", "port", "database", "user", "password", "ssl"]
})

const byLegacyType: Readonly<Record<string, TypeMapping>> = {
  postgresql: sql("postgresql"),
  postgres: sql("postgresql"),
  mysql: sql("mysql"),
  mariadb: sql("mysql"),
  redis: { type: "redis", rename: {}, keep: ["host", "port", "db", "password", "username"] },
  rabbitmq: { type: "rabbitmq", rename: { pass: "password" }, keep: ["host", "port", "user", "password", "vhost"] },
  kafka: { type: "kafka", rename: { bootstrap_servers: "brokers" }, keep: ["client_id"] },
  mqtt: {
    type: "mqtt",
    rename: {},
    keep: ["host", "port", "username", "password", "client_id", "keepalive", "tls"]
  }
}

/** Our field name → the legacy one, per type, for pointing errors back into the legacy file. */
export const legacyConnectionFieldName = (legacyType: string | undefined, field: string): string => {
  const mapping = legacyType === undefined ? undefined : byLegacyType[legacyType]
  const entry = Object.entries(mapping?.rename ?? {}).find(([, ours]) => ours === field)
  return entry?.[0] ?? (field === "protocol_version" ? "mqtt_version" : field)
}

export interface ConvertedConnections {
  readonly document: Record<string, unknown>
  /** legacy type per name, for path display */
  readonly legacyTypes: ReadonlyMap<string, string>
}

export const convertConnections = (document: unknown, notes: LegacyNotes): ConvertedConnections => {
  const out: Record<string, unknown> = {}
  const legacyTypes = new Map<string, string>()
  if (document === null || document === undefined) return { document: out, legacyTypes }
  if (!isMapping(document)) {
    notes.errors.push({ path: "", message: `connections must be a dictionary, got ${typeName(document)}` })
    return { document: out, legacyTypes }
  }
  for (const [name, entry] of Object.entries(document)) {
    if (!isMapping(entry)) {
      notes.errors.push({ path: name, message: `connection must be a dictionary, got ${typeName(entry)}` })
      continue
    }
    const legacyType = typeof entry["type"] === "string" ? entry["type"] : undefined
    const mapping = legacyType === undefined ? undefined : byLegacyType[legacyType]
    if (mapping === undefined) {
      notes.warnings.push({
        path: name,
        message: `skipped: hookstream has no destination for connection type ${legacyType === undefined ? "(none)" : `'${legacyType}'`}`
      })
      continue
    }
    legacyTypes.set(name, legacyType as string)
    const converted: Record<string, unknown> = { type: mapping.type }
    const dropped: Array<string> = []
    for (const [key, value] of Object.entries(entry)) {
      if (key === "type") continue
      const renamed = mapping.rename[key]
      if (renamed !== undefined) converted[renamed] = value
      else if (mapping.keep.includes(key)) converted[key] = value
      else if (mapping.type === "mqtt" && key === "mqtt_version") {
        converted["protocol_version"] = String(value).startsWith("5") ? 5 : 4
      } else dropped.push(key)
    }
    if (mapping.type === "kafka" && converted["brokers"] === undefined) converted["brokers"] = "localhost:9092"
    if (dropped.length > 0)
      notes.warnings.push({ path: name, message: `ignored: no ${mapping.type} option ${dropped.join(", ")}` })
    out[name] = converted
  }
  return { document: out, legacyTypes }
}
