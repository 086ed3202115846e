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
import { isModuleName, loadDestination } from "../modules/registry.ts"
import { DestinationPool, settingsFingerprint } from "./DestinationPool.ts"
import type { RunnableStream, StreamLease } from "./HandlerContext.ts"

export class StartupError extends Error {
  override readonly name = "StartupError"
}

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

/** One config bound: its streams, and the pool clients it holds (released when it retires). */
export interface BoundConfig {
  readonly streams: ReadonlyMap<string, RunnableStream>
  readonly clientIds: ReadonlyArray<string>
}

/**
 * Binds every stream of `config` to clients from `pool` (one per connection, or per module
 * kind without one). On failure the clients it took are given back, so a config that cannot
 * be bound leaves the pool as it was.
 */
export const bindConfig = (
  config: LoadedConfig,
  engine: ChainEngine["Service"],
  pool: DestinationPool,
  lease?: StreamLease
): Effect.Effect<BoundConfig, StartupError | DestinationError> => {
  const taken = new Map<string, { readonly id: string; readonly destination: Destination }>()
  const bind = Effect.gen(function* () {
    // a module's runtime, and its driver, is imported here, only for the modules the streams use
    const specFor = Effect.fnUntraced(function* (step: ModulePlan) {
      const name = step.module
      if (!isModuleName(name)) {
        return yield* Effect.fail(new StartupError(`module '${name}' has no implementation in this build`))
      }
      return yield* Effect.tryPromise({
        try: (): Promise<DestinationSpec> => loadDestination(name),
        catch: (cause) =>
          new StartupError(
            `module '${name}': its runtime failed to load (${cause instanceof Error ? cause.message : String(cause)})`
          )
      })
    })
    const clientFor = Effect.fnUntraced(function* (step: ModulePlan) {
      const key = step.connection === undefined ? `module:${step.module}` : `connection:${step.connection}`
      const existing = taken.get(key)
      if (existing !== undefined) return existing.destination
      const spec = yield* specFor(step)
      const connection: Connection | undefined =
        step.connection === undefined ? undefined : config.connections.get(step.connection)
      const client = yield* pool.acquire(key, connection, spec.make(connection))
      taken.set(key, client)
      yield* Effect.logDebug("destination client ready", { module: step.module, connection: step.connection ?? "-" })
      return client.destination
    })

    const streams = new Map<string, RunnableStream>()
    for (const stream of config.streams) {
      const settings = { webhookId: stream.plan.webhookId, redactor: streamRedactor(stream.redaction) }
      const bound = new Map<string, Destination>()
      for (const step of stream.plan.modules) {
        const client = yield* clientFor(step)
        bound.set(step.id, (yield* specFor(step)).forStream?.(client, settings) ?? client)
      }
      // a breaker belongs to where it points: a connection's settings, or a step's own (its URL)
      const chain = engine.bind(
        stream.plan,
        (step) => bound.get(step.id) as Destination,
        (step) =>
          settingsFingerprint(step.connection === undefined ? step.config : config.connections.get(step.connection))
      )
      streams.set(stream.plan.webhookId, {
        chain,
        configVersion: config.version,
        maxPayloadBytes: stream.maxPayloadBytes,
        ...(lease === undefined ? {} : { lease }),
        ...(stream.redaction.payload ? { payloadRedactor: settings.redactor } : {}),
        ...(stream.payloadContract === undefined ? {} : { payloadContract: stream.payloadContract })
      })
    }
    return { streams, clientIds: [...taken.values()].map((c) => c.id) }
  })
  return bind.pipe(
    Effect.onError(() => Effect.forEach([...taken.values()], (c) => pool.release(c.id), { discard: true }))
  )
}

/**
 * The config bound once, for what never reloads (tests, benches, `hookstream test`): the
 * clients close with the caller's scope.
 */
export const bindStreams = (
  config: LoadedConfig,
  engine: ChainEngine["Service"]
): Effect.Effect<ReadonlyMap<string, RunnableStream>, StartupError | DestinationError, Scope.Scope> =>
  Effect.gen(function* () {
    const pool = new DestinationPool()
    yield* Effect.addFinalizer(() => pool.closeAll())
    return (yield* bindConfig(config, engine, pool)).streams
  })
