/**
 * A legacy item's `module-config` → our module `config`. The original passed module-config
 * through uninspected, so it may hold options we do not have: those are dropped with a
 * warning, never silently. Renamed options are mapped; options whose meaning changed are
 * converted to what the original did (a legacy `log` printed the payload, so ours will too).
 */
import type { ModuleName } from "../../modules/registry.ts"
import type { LegacyNotes } from "./LegacyNotes.ts"

type Mapper = (
  config: Record<string, unknown>,
  out: Record<string, unknown>,
  warn: (key: string, why: string) => void
) => void

const copy =
  (...keys: ReadonlyArray<string>): Mapper =>
  (config, out) => {
    for (const key of keys) if (config[key] !== undefined) out[key] = config[key]
  }

const forwardHeaders = (config: Record<string, unknown>): unknown => {
  if (config["forward_headers"] !== true) return undefined
  return Array.isArray(config["allowed_headers"]) ? config["allowed_headers"] : ["*"]
}

/**
 * Keys each mapper consumes; the rest are reported as dropped. Only the original system's
 * modules have one: a destination it never had takes its module-config as written.
 */
const mappers: Partial<Readonly<Record<ModuleName, { readonly keys: ReadonlyArray<string>; readonly map: Mapper }>>> = {
  log: {
    keys: ["pretty_print", "redact_sensitive"],
    map: (_config, out) => {
      out["include_payload"] = true
      out["include_headers"] = true
    }
  },
  file: {
    keys: ["path", "base_dir"],
    map: (config, out, warn) => {
      if (typeof config["path"] === "string" && config["path"] !== ".")
        out["directory"] = config["path"].replace(/^\.\//, "")
      if (config["base_dir"] !== undefined) {
        warn("base_dir", "replaced by the process-wide HOOKSTREAM_FILE_DIR; set that to the same directory")
      }
    }
  },
  http: {
    keys: ["url", "method", "headers", "timeout", "allowed_hosts", "forward_headers", "allowed_headers"],
    map: (config, out) => {
      copy("url", "method", "headers", "timeout", "allowed_hosts")(config, out, () => {})
      const forward = forwardHeaders(config)
      if (forward !== undefined) out["forward_headers"] = forward
    }
  },
  kafka: {
    keys: ["topic", "key", "forward_headers"],
    map: (config, out, warn) => {
      copy("topic")(config, out, () => {})
      if (typeof config["key"] === "string") {
        if (config["key"].includes("{")) warn("key", "braces now mark placeholders ({event_id}, {webhook_id}, {key})")
        out["key"] = config["key"]
      }
      if (config["forward_headers"] === true) out["forward_headers"] = ["*"]
    }
  },
  postgresql: { keys: [], map: () => {} },
  mysql: { keys: [], map: () => {} },
  redis: {
    keys: ["channel"],
    map: (config, out) => {
      out["mode"] = "publish"
      out["channel"] = config["channel"] ?? "webhook_events"
    }
  },
  rabbitmq: {
    keys: ["queue_name"],
    map: (config, out) => {
      if (config["queue_name"] !== undefined) out["queue"] = config["queue_name"]
    }
  },
  mqtt: { keys: ["topic", "qos", "retained"], map: copy("topic", "qos", "retained") },
  nats: { keys: ["subject", "jetstream", "stream"], map: copy("subject", "jetstream", "stream") }
}

const SQL_KEYS = ["table", "storage_mode", "upsert", "upsert_key", "include_headers", "schema"]

const mapSql = (
  config: Record<string, unknown>,
  out: Record<string, unknown>,
  warn: (key: string, why: string) => void
) => {
  copy("table", "storage_mode", "include_headers")(config, out, () => {})
  const mode = config["storage_mode"] ?? "json"
  if (config["upsert"] === true && mode !== "json") out["upsert_key"] = config["upsert_key"] ?? "id"
  if (config["upsert"] === true && mode === "json") warn("upsert", "json mode always upserts on event_id now")
  const schema = config["schema"]
  if (mode !== "json" && typeof schema === "object" && schema !== null && !Array.isArray(schema)) {
    const fields = (schema as Record<string, unknown>)["fields"]
    if (typeof fields === "object" && fields !== null && !Array.isArray(fields)) {
      const converted: Record<string, unknown> = {}
      for (const [name, field] of Object.entries(fields)) {
        if (typeof field !== "object" || field === null) continue
        const f = field as Record<string, unknown>
        const constraints = Array.isArray(f["constraints"])
          ? f["constraints"].map(String).join(" ")
          : String(f["constraints"] ?? "")
        converted[name] = {
          type: f["type"] ?? "text",
          ...(f["column"] === undefined ? {} : { column: f["column"] }),
          ...(/not null/i.test(constraints) ? { required: true } : {}),
          ...(f["default"] === undefined ? {} : { default: f["default"] })
        }
      }
      out["schema"] = { fields: converted }
    }
    if ((schema as Record<string, unknown>)["indexes"] !== undefined)
      warn("schema", "indexes are not managed; create them in the database")
  }
}

export interface ModuleConfigContext {
  readonly path: string
  /** the webhook-level `topic` / `queue_name`, which kafka, mqtt and rabbitmq fell back to */
  readonly webhookTopic: unknown
  readonly webhookQueueName: unknown
}

export const convertModuleConfig = (
  module: ModuleName,
  config: Record<string, unknown>,
  context: ModuleConfigContext,
  notes: LegacyNotes
): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  const warn = (key: string, why: string) => notes.warnings.push({ path: `${context.path}.${key}`, message: why })
  const sql = module === "postgresql" || module === "mysql"
  const mapper = sql ? undefined : mappers[module]
  const keys = sql ? SQL_KEYS : (mapper?.keys ?? Object.keys(config))
  if (sql) mapSql(config, out, warn)
  else if (mapper === undefined) Object.assign(out, config)
  else mapper.map(config, out, warn)
  const dropped = Object.keys(config).filter((key) => !keys.includes(key))
  if (dropped.length > 0) {
    const shown = dropped.slice(0, 10).join(", ") + (dropped.length > 10 ? `, … (${dropped.length} in all)` : "")
    notes.warnings.push({ path: context.path, message: `ignored: ${module} has no option ${shown}` })
  }
  if ((module === "kafka" || module === "mqtt") && out["topic"] === undefined && context.webhookTopic !== undefined) {
    out["topic"] = context.webhookTopic
  }
  if (module === "rabbitmq" && out["queue"] === undefined && context.webhookQueueName !== undefined) {
    out["queue"] = context.webhookQueueName
  }
  return out
}
