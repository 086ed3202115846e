/**
 * The streams the processor runs, swappable while it runs (hot reload). A reload binds the
 * new config completely first (clients from the pool: unchanged connections keep theirs),
 * then replaces the table in one assignment: an event that starts after it runs on the new
 * config; a chain already running keeps the one it started with to its end (it holds a lease
 * on it), so no chain ever sees half of each. The old config retires once its last chain has
 * let go — or after `drainTimeoutMs`, as on shutdown — and only then are the clients that
 * the new config does not use closed.
 */
import { Effect, type Scope } from "effect"
import type { LoadedConfig } from "../config/StreamDefinition.ts"
import type { DestinationError } from "../domain/DestinationError.ts"
import type { ChainEngine } from "../engine/ChainEngine.ts"
import { bindConfig, type StartupError } from "./bindStreams.ts"
import { DestinationPool } from "./DestinationPool.ts"
import type { RunnableStream, StreamLease, StreamTable } from "./HandlerContext.ts"

interface Generation {
  readonly number: number
  readonly version: string
  readonly streams: ReadonlyMap<string, RunnableStream>
  readonly clientIds: ReadonlyArray<string>
  readonly lease: { inFlight: number }
}

/** What a swap changed. */
export interface SwapReport {
  readonly from: string
  readonly to: string
  readonly generation: number
  readonly added: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  readonly kept: ReadonlyArray<string>
  /** clients (connections) that close once the old config's chains have finished */
  readonly closing: ReadonlyArray<string>
}

const DRAIN_POLL_MS = 50

/** A config's lease and the count of chains holding it (what `run` gives every stream; benches use it too). */
export const newLease = (): { readonly lease: StreamLease; readonly count: { inFlight: number } } => {
  const count = { inFlight: 0 }
  return {
    count,
    lease: {
      enter: () => {
        count.inFlight++
      },
      leaving: (records) => {
        count.inFlight--
        return records
      }
    }
  }
}

export class LiveStreams implements StreamTable {
  #current: Generation
  readonly #engine: ChainEngine["Service"]
  readonly #pool: DestinationPool
  readonly #scope: Scope.Scope
  readonly #drainTimeoutMs: number

  private constructor(
    first: Generation,
    engine: ChainEngine["Service"],
    pool: DestinationPool,
    scope: Scope.Scope,
    drainTimeoutMs: number
  ) {
    this.#current = first
    this.#engine = engine
    this.#pool = pool
    this.#scope = scope
    this.#drainTimeoutMs = drainTimeoutMs
  }

  /** Binds `config`; every client closes with the scope. */
  static make(
    config: LoadedConfig,
    engine: ChainEngine["Service"],
    options: { readonly drainTimeoutMs: number }
  ): Effect.Effect<LiveStreams, StartupError | DestinationError, Scope.Scope> {
    return Effect.gen(function* () {
      const scope = yield* Effect.scope
      const pool = new DestinationPool()
      yield* Effect.addFinalizer(() => pool.closeAll())
      const { lease, count } = newLease()
      const bound = yield* bindConfig(config, engine, pool, lease)
      const first: Generation = { number: 1, version: config.version, ...bound, lease: count }
      return new LiveStreams(first, engine, pool, scope, options.drainTimeoutMs)
    })
  }

  get(webhookId: string): RunnableStream | undefined {
    return this.#current.streams.get(webhookId)
  }

  values(): Iterable<RunnableStream> {
    return this.#current.streams.values()
  }

  /** the webhook ids served now */
  keys(): ReadonlyArray<string> {
    return [...this.#current.streams.keys()]
  }

  /** the version of the config in use, and how many configs were applied since start (1 = the first) */
  get version(): { readonly version: string; readonly generation: number } {
    return { version: this.#current.version, generation: this.#current.number }
  }

  /** the destination clients open now (pool ids), for tests and the console */
  openClients(): ReadonlyArray<string> {
    return this.#pool.open()
  }

  /**
   * Binds `config` and makes it the one new events run on. Fails (and changes nothing) when
   * a client for it cannot be made; the caller keeps the old config running then.
   */
  swap(config: LoadedConfig): Effect.Effect<SwapReport, StartupError | DestinationError> {
    return Effect.gen({ self: this }, function* () {
      const { lease, count } = newLease()
      const bound = yield* bindConfig(config, this.#engine, this.#pool, lease)
      const old = this.#current
      const next: Generation = { number: old.number + 1, version: config.version, ...bound, lease: count }
      this.#current = next
      const report: SwapReport = {
        from: old.version,
        to: next.version,
        generation: next.number,
        added: [...next.streams.keys()].filter((id) => !old.streams.has(id)),
        removed: [...old.streams.keys()].filter((id) => !next.streams.has(id)),
        kept: [...next.streams.keys()].filter((id) => old.streams.has(id)),
        closing: old.clientIds.filter((id) => !next.clientIds.includes(id))
      }
      yield* Effect.forkIn(this.#retire(old), this.#scope)
      return report
    })
  }

  /** waits for the chains running on `old` (at most the drain timeout), then lets go of its clients */
  #retire(old: Generation): Effect.Effect<void> {
    const pool = this.#pool
    const drained = Effect.gen(function* () {
      while (old.lease.inFlight > 0) yield* Effect.sleep(DRAIN_POLL_MS)
    }).pipe(Effect.timeoutOption(this.#drainTimeoutMs))
    return drained.pipe(
      Effect.tap((finished) =>
        finished._tag === "None"
          ? Effect.logWarning(
              "config reload: chains of the old config still running (or interrupted) at the drain timeout",
              {
                version: old.version,
                running: old.lease.inFlight
              }
            )
          : Effect.void
      ),
      Effect.andThen(Effect.forEach(old.clientIds, (id) => pool.release(id), { discard: true })),
      Effect.andThen(
        Effect.logDebug("config reload: old config retired", { version: old.version, clients: old.clientIds })
      )
    )
  }
}
