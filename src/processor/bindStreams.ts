/**
 * From loaded config to runnable streams: builds each destination client once per
 * connection (or once per module kind for steps without a connection), inside the caller's
 * Scope so they close on shutdown, and binds every stream's chain to them and to the
 * engine's shared guards. Nothing here runs per event.
 */
import { Effect, Predicate, Redacted, type Scope } from "effect"
import type { Connection, LoadedConfig } from "../config/StreamDefinition.ts"
import type { ModulePlan } from "../domain/ChainPlan.ts"
import type { DestinationError } from "../domain/DestinationError.ts"
import { streamRedactor } from "../domain/redact.ts"
import type { ChainEngine } from "../engine/ChainEngine.ts"
import type { Destination, DestinationSpec } from "../modules/Destination.ts"
import { destinations as defaultRegistry } from "../modules/destinations.ts"
import type { RunnableStream } from "./handleRecord.ts"

export class StartupError extends Error {
  override readonly name = "StartupError"
}

type Registry = Partial<Readonly<Record<ModulePlan["module"], DestinationSpec>>>

/** Every secret value in the connections, so error text can never carry one verbatim. */
export const connectionSecrets = (config: LoadedConfig): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (value: unknown): void => {
    if (Redacted.isRedacted(value)) {
      const v = Redacted.value(value)
      if (typeof v === "string") out.push(v)
    } else if (Array.isArray(value)) value.forEach(walk)
    else if (Predicate.isObject(value)) Object.values(value).forEach(walk)
  }
  for (const connection of config.connections.values()) walk(connection)
  return out
}

export const bindStreams = (
  config: LoadedConfig,
  engine: ChainEngine["Service"],
  registry: Registry = defaultRegistry
): Effect.Effect<ReadonlyMap<string, RunnableStream>, StartupError | DestinationError, Scope.Scope> =>
  Effect.gen(function* () {
    const clients = new Map<string, Destination>()
    const clientFor = Effect.fnUntraced(function* (step: ModulePlan) {
      const key = step.connection === undefined ? `module:${step.module}` : `connection:${step.connection}`
      const existing = clients.get(key)
      if (existing !== undefined) return existing
      const spec = registry[step.module]
      if (spec === undefined) {
        return yield* Effect.fail(new StartupError(`module '${step.module}' has no implementation in this build`))
      }
      const connection: Connection | undefined =
        step.connection === undefined ? undefined : config.connections.get(step.connection)
      const destination = yield* spec.make(connection)
      clients.set(key, destination)
      yield* Effect.logDebug("destination client ready", { module: step.module, connection: step.connection ?? "-" })
      return destination
    })

    const streams = new Map<string, RunnableStream>()
    for (const stream of config.streams) {
      const settings = { webhookId: stream.plan.webhookId, redactor: streamRedactor(stream.redaction) }
      const bound = new Map<string, Destination>()
      for (const step of stream.plan.modules) {
        const client = yield* clientFor(step)
        bound.set(step.id, registry[step.module]?.forStream?.(client, settings) ?? client)
      }
      const chain = engine.bind(stream.plan, (step) => bound.get(step.id) as Destination)
      streams.set(stream.plan.webhookId, {
        chain,
        maxPayloadBytes: stream.maxPayloadBytes,
        ...(stream.redaction.payload ? { payloadRedactor: settings.redactor } : {}),
        ...(stream.payloadContract === undefined ? {} : { payloadContract: stream.payloadContract })
      })
    }
    return streams
  })
