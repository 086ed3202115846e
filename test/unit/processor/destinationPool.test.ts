/**
 * DestinationPool: clients shared by connection fingerprint across configs (hot reload). The
 * clients here are made by hand, each with a finalizer that records its closing, so the test
 * sees exactly which client's scope closed and when.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { Connection } from "../../../src/config/StreamDefinition.ts"
import { destinationError } from "../../../src/domain/DestinationError.ts"
import type { Destination } from "../../../src/modules/Destination.ts"
import { DestinationPool, settingsFingerprint } from "../../../src/processor/DestinationPool.ts"

const connection = (fields: Record<string, unknown>): Connection => ({
  type: "postgresql",
  max_in_flight: 64,
  circuit_breaker: { failure_threshold: 5, cooldown: 30_000 },
  ...fields
})

/** makes numbered clients; `closed` lists the numbers whose scope closed, in order */
const maker = () => {
  let made = 0
  const closed: Array<number> = []
  const make = Effect.gen(function* () {
    const n = ++made
    yield* Effect.addFinalizer(() => Effect.sync(() => closed.push(n)))
    const destination: Destination & { readonly n: number } = {
      n,
      send: () => Effect.succeed({ detail: `client ${n}` })
    }
    return destination as Destination
  })
  return { make, closed, made: () => made }
}

const numberOf = (destination: Destination): number => (destination as Destination & { readonly n: number }).n

describe("DestinationPool", () => {
  it.effect("the same settings get the same client, once per user; it closes with the last release", () =>
    Effect.gen(function* () {
      const pool = new DestinationPool()
      const clients = maker()
      // equal settings written in another key order are the same connection
      const first = yield* pool.acquire("connection:db", connection({ host: "h", port: 5432 }), clients.make)
      const second = yield* pool.acquire("connection:db", connection({ port: 5432, host: "h" }), clients.make)
      assert.strictEqual(clients.made(), 1)
      assert.strictEqual(second.id, first.id)
      assert.strictEqual(second.destination, first.destination)
      assert.deepStrictEqual(pool.open(), [first.id])

      yield* pool.release(first.id)
      assert.deepStrictEqual(clients.closed, [], "one user left: the client stays open")
      assert.deepStrictEqual(pool.open(), [first.id])
      yield* pool.release(second.id)
      assert.deepStrictEqual(clients.closed, [1])
      assert.deepStrictEqual(pool.open(), [])
      // a release too many is harmless
      yield* pool.release(first.id)
      assert.deepStrictEqual(clients.closed, [1])
    })
  )

  it.effect("changed settings get a second client next to the first; each closes with its own last user", () =>
    Effect.gen(function* () {
      const pool = new DestinationPool()
      const clients = maker()
      const old = yield* pool.acquire("connection:db", connection({ host: "h", database: "a" }), clients.make)
      const changed = yield* pool.acquire("connection:db", connection({ host: "h", database: "b" }), clients.make)
      // a changed secret is a changed connection too
      const secret = yield* pool.acquire(
        "connection:db",
        connection({ host: "h", database: "b", password: Redacted.make("other") }),
        clients.make
      )
      assert.strictEqual(clients.made(), 3)
      assert.notStrictEqual(changed.id, old.id)
      assert.notStrictEqual(secret.id, changed.id)
      assert.deepStrictEqual(
        [old, changed, secret].map((c) => numberOf(c.destination)),
        [1, 2, 3]
      )

      yield* pool.release(old.id)
      assert.deepStrictEqual(clients.closed, [1], "exactly the old client's scope closed")
      assert.deepStrictEqual(pool.open(), [changed.id, secret.id])
      // the new client still works after the old one closed
      assert.strictEqual((yield* changed.destination.send({} as never)).detail, "client 2")
      yield* pool.closeAll()
      assert.deepStrictEqual([...clients.closed].sort(), [1, 2, 3])
      assert.deepStrictEqual(pool.open(), [])
    })
  )

  it.effect("keys keep clients apart even with equal settings (two connections, or two module kinds)", () =>
    Effect.gen(function* () {
      const pool = new DestinationPool()
      const clients = maker()
      yield* pool.acquire("connection:a", connection({ host: "h" }), clients.make)
      yield* pool.acquire("connection:b", connection({ host: "h" }), clients.make)
      yield* pool.acquire("module:log", undefined, clients.make)
      yield* pool.acquire("module:log", undefined, clients.make)
      assert.strictEqual(clients.made(), 3)
      assert.strictEqual(pool.open().length, 3)
    })
  )

  it.effect("a make that fails closes what it had opened and leaves nothing in the pool", () =>
    Effect.gen(function* () {
      const pool = new DestinationPool()
      const closed: Array<string> = []
      const failing = Effect.gen(function* () {
        yield* Effect.addFinalizer(() => Effect.sync(() => closed.push("half-made client")))
        return yield* Effect.fail(destinationError("unreachable", "no server"))
      })
      const error = yield* Effect.flip(pool.acquire("connection:db", connection({ host: "h" }), failing))
      assert.strictEqual(error.message, "no server")
      assert.deepStrictEqual(closed, ["half-made client"])
      assert.deepStrictEqual(pool.open(), [])
      // the next try makes a client afresh
      const clients = maker()
      const made = yield* pool.acquire("connection:db", connection({ host: "h" }), clients.make)
      assert.strictEqual(clients.made(), 1)
      assert.deepStrictEqual(pool.open(), [made.id])
    })
  )

  it("the fingerprint tells settings apart without showing a secret", () => {
    const a = settingsFingerprint(connection({ password: Redacted.make("hunter2") }))
    const b = settingsFingerprint(connection({ password: Redacted.make("hunter3") }))
    assert.notStrictEqual(a, b)
    assert.strictEqual(a, settingsFingerprint(connection({ password: Redacted.make("hunter2") })))
    assert.notInclude(a, "hunter2")
    assert.strictEqual(settingsFingerprint(undefined), "-")
  })
})
