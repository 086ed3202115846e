/**
 * The destination clients of the process (connection pools, broker sessions), shared by the
 * configs that use them. A client is known by its key (`connection:<name>`, or
 * `module:<kind>` for steps without a connection) and the fingerprint of the connection it
 * was made from: a reload whose connection did not change gets the same client (its pool
 * stays warm); a changed connection gets a new client next to the old one, and the old one
 * closes when the last config using it lets go (after its chains finished: LiveStreams).
 *
 * Each client lives in a scope of its own, so closing one runs exactly its finalizers.
 */
import { createHash } from "node:crypto"
import { Effect, Exit, Predicate, Redacted, Scope } from "effect"
import type { Connection } from "../config/StreamDefinition.ts"
import type { Destination } from "../modules/Destination.ts"

interface Entry {
  readonly destination: Destination
  readonly scope: Scope.Closeable
  users: number
}

/** A stable text of a connection's settings: keys sorted, secret values included (only hashed). */
const canonical = (value: unknown): string => {
  if (Redacted.isRedacted(value)) return `R${canonical(Redacted.value(value))}`
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (Predicate.isObject(value)) {
    const record = value as Record<string, unknown>
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
      .join(",")}}`
  }
  return JSON.stringify(value) ?? "undefined"
}

/** Equal for equal settings (secrets included), different otherwise; no secret is readable from it. */
export const settingsFingerprint = (settings: unknown): string =>
  settings === undefined ? "-" : createHash("sha256").update(canonical(settings)).digest("hex").slice(0, 16)

export class DestinationPool {
  readonly #entries = new Map<string, Entry>()

  /** the client for `key` made from `connection`: an existing one with the same settings, else a new one from `make` */
  acquire<E>(
    key: string,
    connection: Connection | undefined,
    make: Effect.Effect<Destination, E, Scope.Scope>
  ): Effect.Effect<{ readonly id: string; readonly destination: Destination }, E> {
    const id = `${key}#${settingsFingerprint(connection)}`
    const entries = this.#entries
    return Effect.suspend(() => {
      const existing = entries.get(id)
      if (existing !== undefined) {
        existing.users++
        return Effect.succeed({ id, destination: existing.destination })
      }
      return Effect.gen(function* () {
        const scope = yield* Scope.make()
        const made = yield* Effect.exit(Scope.provide(scope)(make))
        if (Exit.isFailure(made)) {
          yield* Scope.close(scope, made)
          return yield* Effect.failCause(made.cause)
        }
        // another fiber may have made the same client meanwhile: keep one
        const raced = entries.get(id)
        if (raced !== undefined) {
          yield* Scope.close(scope, Exit.void)
          raced.users++
          return { id, destination: raced.destination }
        }
        entries.set(id, { destination: made.value, scope, users: 1 })
        return { id, destination: made.value }
      })
    })
  }

  /** one user fewer; the last one closes the client (its pool drains and its sockets close) */
  release(id: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      const entry = this.#entries.get(id)
      if (entry === undefined) return Effect.void
      entry.users--
      if (entry.users > 0) return Effect.void
      this.#entries.delete(id)
      return Scope.close(entry.scope, Exit.void)
    })
  }

  /** the clients open now (ids), for tests and the console */
  open(): ReadonlyArray<string> {
    return [...this.#entries.keys()]
  }

  /** closes every client (shutdown) */
  closeAll(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const entries = [...this.#entries.values()]
      this.#entries.clear()
      return Effect.forEach(entries, (e) => Scope.close(e.scope, Exit.void), { discard: true })
    })
  }
}
