/**
 * One legacy webhook entry (`webhooks.json`, keyed by webhook id) → a stream document in
 * our format, checked the way the original validator did (inventory §7.1), with its known
 * holes closed: booleans are not numbers, and every problem is reported, not the first.
 *
 * A `chain` that is not null wins; otherwise the single `module` becomes a one-step chain.
 * Webhook-level `module-config` is shallow-merged under each item's (an item's null
 * `module-config` drops it), `topic`/`queue_name` fall back as before, and an item without
 * its own `connection` inherits the webhook's when the module takes that kind.
 */
import { suggestionSuffix } from "../../domain/didYouMean.ts"
import {
  type ModuleName,
  moduleAliases,
  moduleNames,
  moduleSchemas,
  resolveModuleName
} from "../../modules/registry.ts"
import { isMapping, type LegacyNotes, typeName } from "./LegacyNotes.ts"
import { convertModuleConfig } from "./legacyModuleConfig.ts"
import { convertRetry } from "./legacyRetry.ts"

const ITEM_KEYS = ["connection", "destination", "module", "module-config", "queue_name", "retry", "topic"]
const CHAIN_CONFIG_KEYS = ["continue_on_error", "execution", "timeout"]
const DEPRECATED = ["topic", "queue_name", "destination"] as const
/** Webhook-level keys that mean something to a chain; anything else is reported as not converted. */
const WEBHOOK_KEYS = new Set([
  "chain",
  "chain-config",
  "module",
  "module-config",
  "connection",
  "retry",
  "topic",
  "queue_name",
  "redis"
])
/** Registered in the original system, with no hookstream destination. */
const UNSUPPORTED = [
  "redis_rq",
  "s3",
  "clickhouse",
  "websocket",
  "zeromq",
  "activemq",
  "aws_sqs",
  "gcp_pubsub",
  "webhook_connect"
]
const MAX_LEGACY_CHAIN = 20
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

export interface LegacyWebhookContext {
  /** connection name → our connection type, for inheriting the webhook-level connection */
  readonly connectionTypes: ReadonlyMap<string, string>
  /** name of a redis connection synthesised from the webhook-level `redis` object */
  readonly synthesizeRedis: (id: string, redis: Record<string, unknown>) => string
}

const resolveLegacyModule = (raw: string, path: string, notes: LegacyNotes): ModuleName | undefined => {
  const name = raw.trim()
  if (name === "") {
    notes.errors.push({ path, message: "module name must be a non-empty string" })
    return undefined
  }
  if (UNSUPPORTED.includes(name)) {
    notes.errors.push({ path, message: `module '${name}' of the original system has no hookstream destination` })
    return undefined
  }
  const resolved =
    name.length <= 64 && NAME.test(name) && !name.includes("--") && !name.includes("__")
      ? resolveModuleName(name)
      : undefined
  if (resolved === undefined) {
    const known = [...moduleNames, ...Object.keys(moduleAliases)]
    notes.errors.push({
      path,
      message: `module '${name.length > 64 ? `${name.slice(0, 61)}...` : name}' is not registered${suggestionSuffix(name, known)}`
    })
  }
  return resolved
}

const validateChainConfig = (value: unknown, path: string, notes: LegacyNotes): Record<string, unknown> => {
  if (value === null || value === undefined) return {}
  if (!isMapping(value)) {
    notes.errors.push({ path, message: `chain-config must be a dictionary, got ${typeName(value)}` })
    return {}
  }
  const out: Record<string, unknown> = {}
  const execution = value["execution"]
  if (execution !== undefined) {
    if (typeof execution !== "string")
      notes.errors.push({ path: `${path}.execution`, message: `must be a string, got ${typeName(execution)}` })
    else if (execution !== "sequential" && execution !== "parallel") {
      notes.errors.push({
        path: `${path}.execution`,
        message: `must be 'sequential' or 'parallel' (case-sensitive), got '${execution}'`
      })
    } else out["execution"] = execution
  }
  const continueOnError = value["continue_on_error"]
  if (continueOnError !== undefined) {
    if (typeof continueOnError !== "boolean") {
      notes.errors.push({
        path: `${path}.continue_on_error`,
        message: `must be a boolean, got ${typeName(continueOnError)}`
      })
    } else out["continue_on_error"] = continueOnError
  }
  const timeout = value["timeout"]
  if (timeout !== undefined) {
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout <= 0) {
      const note = typeof timeout === "boolean" ? " (booleans are not numbers)" : ""
      notes.errors.push({
        path: `${path}.timeout`,
        message: `must be a number of seconds greater than 0, got ${typeof timeout === "number" ? timeout : typeName(timeout)}${note}`
      })
    } else if (timeout > 900) {
      notes.warnings.push({ path: `${path}.timeout`, message: `${timeout}s is over the 15 minute limit; using 900s` })
      out["timeout"] = 900
    } else out["timeout"] = timeout
  }
  for (const key of Object.keys(value)) {
    if (!CHAIN_CONFIG_KEYS.includes(key)) {
      notes.errors.push({
        path: `${path}.${key}`,
        message: `unknown field '${key}'${suggestionSuffix(key, CHAIN_CONFIG_KEYS)} (allowed: ${CHAIN_CONFIG_KEYS.join(", ")})`
      })
    }
  }
  return out
}

export const convertWebhook = (
  id: string,
  webhook: unknown,
  context: LegacyWebhookContext,
  notes: LegacyNotes
): Record<string, unknown> | undefined => {
  const errorsBefore = notes.errors.length
  if (!isMapping(webhook)) {
    notes.errors.push({ path: id, message: `webhook config must be a dictionary, got ${typeName(webhook)}` })
    return undefined
  }
  for (const key of Object.keys(webhook)) {
    if (!WEBHOOK_KEYS.has(key)) {
      notes.warnings.push({
        path: `${id}.${key}`,
        message: "not converted: stream files have no equivalent (authentication moves to ingress.auth)"
      })
    }
  }
  const chainConfig = validateChainConfig(webhook["chain-config"], `${id}.chain-config`, notes)
  const single = webhook["chain"] === null || webhook["chain"] === undefined
  let items: ReadonlyArray<unknown>
  if (single) {
    if (webhook["module"] === undefined || webhook["module"] === null) {
      notes.errors.push({ path: id, message: "webhook has neither 'chain' nor 'module'" })
      return undefined
    }
    items = [{ module: webhook["module"], connection: webhook["connection"] ?? null, retry: webhook["retry"] ?? null }]
  } else if (!Array.isArray(webhook["chain"])) {
    notes.errors.push({ path: `${id}.chain`, message: `chain must be a list, got ${typeName(webhook["chain"])}` })
    return undefined
  } else {
    items = webhook["chain"]
    if (items.length === 0) notes.errors.push({ path: `${id}.chain`, message: "chain must have at least 1 module" })
    if (items.length > MAX_LEGACY_CHAIN) {
      notes.errors.push({
        path: `${id}.chain`,
        message: `chain exceeds the limit of ${MAX_LEGACY_CHAIN} modules, got ${items.length}`
      })
      return undefined
    }
  }
  const webhookConfig = isMapping(webhook["module-config"]) ? webhook["module-config"] : {}
  const chain = items.map((item, index) => {
    const path = single ? id : `${id}.chain.${index}`
    return convertItem(item, path, single, { id, webhook, webhookConfig, context }, notes)
  })
  if (notes.errors.length > errorsBefore) return undefined
  return { id, ...chainConfig, chain }
}

interface ItemContext {
  readonly id: string
  readonly webhook: Record<string, unknown>
  readonly webhookConfig: Record<string, unknown>
  readonly context: LegacyWebhookContext
}

const convertItem = (item: unknown, path: string, single: boolean, ctx: ItemContext, notes: LegacyNotes): unknown => {
  if (typeof item === "string") {
    const module = resolveLegacyModule(item, single ? `${path}.module` : path, notes)
    return module === undefined ? undefined : finishItem(module, {}, path, single, ctx, notes)
  }
  if (!isMapping(item)) {
    notes.errors.push({ path, message: `chain item must be a string or dictionary, got ${typeName(item)}` })
    return undefined
  }
  const rawModule = item["module"]
  let module: ModuleName | undefined
  if (rawModule === undefined || rawModule === null)
    notes.errors.push({ path, message: "chain item is missing required 'module'" })
  else if (typeof rawModule !== "string")
    notes.errors.push({ path: `${path}.module`, message: `module must be a string, got ${typeName(rawModule)}` })
  else module = resolveLegacyModule(rawModule, `${path}.module`, notes)
  const connection = item["connection"]
  if (connection !== undefined && connection !== null && typeof connection !== "string") {
    notes.errors.push({
      path: `${path}.connection`,
      message: `connection must be a string, got ${typeName(connection)}`
    })
  }
  const config = item["module-config"]
  if (config !== undefined && config !== null && !isMapping(config)) {
    notes.errors.push({
      path: `${path}.module-config`,
      message: `module-config must be a dictionary, got ${typeName(config)}`
    })
  }
  for (const key of DEPRECATED) {
    if (item[key] !== undefined && isMapping(config) && config[key] !== undefined) {
      notes.errors.push({
        path: `${path}.${key}`,
        message: `'${key}' should be in 'module-config', not at top level (it is in both)`
      })
    }
  }
  const retry = convertRetry(item["retry"], `${path}.retry`, notes)
  for (const key of Object.keys(item)) {
    if (!ITEM_KEYS.includes(key)) {
      notes.errors.push({
        path: `${path}.${key}`,
        message: `unknown field '${key}'${suggestionSuffix(key, ITEM_KEYS)} (allowed: ${ITEM_KEYS.join(", ")})`
      })
    }
  }
  if (module === undefined) return undefined
  return finishItem(module, item, path, single, ctx, notes, retry)
}

const finishItem = (
  module: ModuleName,
  item: Record<string, unknown>,
  path: string,
  single: boolean,
  ctx: ItemContext,
  notes: LegacyNotes,
  retry: Record<string, unknown> | undefined = { max_attempts: 1 }
): Record<string, unknown> => {
  // item null module-config drops the inherited one; an object is merged over it, key by key
  const own = item["module-config"]
  const merged: Record<string, unknown> = own === null ? {} : { ...ctx.webhookConfig, ...(isMapping(own) ? own : {}) }
  for (const key of DEPRECATED) {
    if (item[key] !== undefined && merged[key] === undefined) {
      merged[key] = item[key]
      notes.warnings.push({
        path: `${path}.${key}`,
        message: `deprecated top-level '${key}' moved into the module config`
      })
    }
  }
  const configPath = single ? `${ctx.id}.module-config` : `${path}.module-config`
  const config = convertModuleConfig(
    module,
    merged,
    { path: configPath, webhookTopic: ctx.webhook["topic"], webhookQueueName: ctx.webhook["queue_name"] },
    notes
  )
  const ownConnection =
    typeof item["connection"] === "string" && item["connection"] !== "" ? item["connection"] : undefined
  const inherited = typeof ctx.webhook["connection"] === "string" ? ctx.webhook["connection"] : undefined
  let connection = ownConnection
  if (
    connection === undefined &&
    inherited !== undefined &&
    ctx.context.connectionTypes.get(inherited) === connectionTypeOf(module)
  ) {
    connection = inherited
  } else if (connection === undefined && module === "redis" && isMapping(ctx.webhook["redis"])) {
    connection = ctx.context.synthesizeRedis(ctx.id, ctx.webhook["redis"])
    if (config["channel"] === "webhook_events" && typeof ctx.webhook["redis"]["channel"] === "string") {
      config["channel"] = ctx.webhook["redis"]["channel"]
    }
  }
  // key order is the order `hookstream import` writes them in
  return { module, ...(connection === undefined ? {} : { connection }), config, retry }
}

const connectionTypeOf = (module: ModuleName): string | undefined => moduleSchemas[module].connection?.type
