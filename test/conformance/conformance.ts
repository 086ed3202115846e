/**
 * The conformance suite every destination runs against its real server (in the spirit of
 * Redpanda Connect's shared output tests). A destination file provides one
 * `ConformanceCase`; `conformance(case)` registers the same tests for all of them:
 *
 * 1. delivers: one send → exactly one effect in the real sink, read back from the server;
 * 2. idempotency: the same delivery (same idempotency key) sent twice → one effect where
 *    the sink dedupes, two where it honestly cannot (stated by the case);
 * 3. unreachable server → a *retryable* DestinationError, within a bounded time;
 * 4. a bad config → a load-time decode error naming the field;
 * 5. interruption mid-send returns promptly and leaves no socket or timer behind;
 * 6. closing the scope releases everything (active handles back to the baseline).
 *
 * Run files named `test/conformance/<module>.test.ts` in the integration project.
 */
import { Cause, Effect, Exit, Fiber, Schema, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { DestinationError } from "../../src/domain/DestinationError.ts"
import { idempotencyKey } from "../../src/domain/IdempotencyKey.ts"
import type { Delivery, Destination, DestinationSpec } from "../../src/modules/Destination.ts"
import { waitFor } from "../support/waitFor.ts"

export interface ConformanceCase<C, K> {
  readonly name: string
  readonly spec: DestinationSpec<C, K>
  /** a raw connection entry for the real local server (as written in connections.yaml) */
  readonly connection?: unknown
  /** the same entry pointing at a port where nothing listens */
  readonly unreachableConnection?: unknown
  /**
   * For sinks addressed by the step's config rather than a connection (http's url): a
   * config pointing at a port where nothing listens. Without this or `unreachableConnection`
   * (log, file: nothing to reach) the unreachable test does not apply.
   */
  readonly unreachableConfig?: () => unknown
  /**
   * Wraps every effect the suite runs (make, send, the interrupted fork), e.g. to provide a
   * test Logger whose output `effects` reads back (the log destination).
   */
  readonly provide?: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** a fresh valid raw config: unique table / topic / queue per call */
  readonly config: () => unknown
  /** a raw config with one mistake, and the dotted path the error must name */
  readonly badConfig: { readonly config: unknown; readonly path: string }
  /** does the sink deduplicate by idempotency key? */
  readonly dedupes: boolean
  /** prepares the sink for this config (create a queue/stream/consumer…), if needed */
  readonly setup?: (config: C, connection: K | undefined) => Promise<void>
  /** reads back from the real server how many effects this event id produced */
  readonly effects: (config: C, connection: K | undefined, eventId: string) => Promise<number>
  /**
   * Makes the sink hold the next send (never answer) until released, for the
   * interruption test; absent when the sink cannot be held from outside.
   */
  readonly hold?: (config: C, connection: K | undefined) => Promise<{ readonly release: () => Promise<void> }>
  /** payload to send; default a small JSON object */
  readonly payload?: unknown
  /** bound for "promptly" in the unreachable test (ms); default 10 s */
  readonly unreachableWithinMs?: number
}

let seq = 0
export const delivery = <C>(config: C, overrides: Partial<Delivery<C>> = {}): Delivery<C> => {
  seq++
  const eventId = `conf-${process.pid}-${Date.now()}-${seq}`
  return {
    eventId,
    webhookId: "conformance",
    moduleId: "step-0",
    idempotencyKey: idempotencyKey("conformance", eventId, "step-0"),
    attempt: 1,
    payload: { order_id: seq, note: "conformance", nested: { ok: true } },
    payloadEncoding: "json",
    headers: { "content-type": "application/json" },
    key: `key-${seq}`,
    config,
    ...overrides
  }
}

const decode = <A>(schema: Schema.Decoder<A>, raw: unknown): A => Schema.decodeUnknownSync(schema)(raw)

/** live sockets and timers of this process, the things a leaked client would keep */
export const liveHandles = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "Timeout" || r === "TCPWRAP").length

/** live handles once the count has not changed for 200 ms (at most 5 s) */
const settledHandles = async (): Promise<number> => {
  let last = liveHandles()
  let stable = 0
  for (let waited = 0; waited < 5_000 && stable < 4; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const now = liveHandles()
    stable = now === last ? stable + 1 : 0
    last = now
  }
  return last
}

const withDestination = async <C, K, A>(
  c: ConformanceCase<C, K>,
  rawConnection: unknown,
  use: (destination: Destination<C>, connection: K | undefined) => Promise<A>
): Promise<A> => {
  const connection =
    c.spec.connection === undefined || rawConnection === undefined
      ? undefined
      : decode(c.spec.connection.schema, rawConnection)
  const scope = Effect.runSync(Scope.make())
  try {
    const destination = await Effect.runPromise(provided(c, c.spec.make(connection).pipe(Scope.provide(scope))))
    return await use(destination, connection)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const send = <C, K>(c: ConformanceCase<C, K>, destination: Destination<C>, d: Delivery<C>) =>
  Effect.runPromiseExit(provided(c, destination.send(d)))

const provided = <C, K, A, E>(c: ConformanceCase<C, K>, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  c.provide === undefined ? effect : c.provide(effect)

export const conformance = <C, K>(c: ConformanceCase<C, K>): void => {
  describe(`${c.name} conformance`, () => {
    const freshConfig = () => decode(c.spec.config, c.config())

    it("delivers: one send, exactly one effect in the real sink", async () => {
      await withDestination(c, c.connection, async (destination, connection) => {
        const config = freshConfig()
        await c.setup?.(config, connection)
        const d = delivery(config, c.payload === undefined ? {} : { payload: c.payload })
        const exit = await send(c, destination, d)
        expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
        await waitFor(async () => (await c.effects(config, connection, d.eventId)) >= 1, {
          description: `${c.name}: the effect of ${d.eventId}`
        })
        expect(await c.effects(config, connection, d.eventId)).toBe(1)
      })
    })

    it(`idempotency: the same delivery twice → ${c.dedupes ? "one effect (the sink dedupes)" : "two effects (no dedupe in this sink)"}`, async () => {
      await withDestination(c, c.connection, async (destination, connection) => {
        const config = freshConfig()
        await c.setup?.(config, connection)
        const d = delivery(config)
        expect(Exit.isSuccess(await send(c, destination, d))).toBe(true)
        expect(Exit.isSuccess(await send(c, destination, { ...d, attempt: 2 }))).toBe(true)
        const expected = c.dedupes ? 1 : 2
        await waitFor(async () => (await c.effects(config, connection, d.eventId)) >= expected)
        expect(await c.effects(config, connection, d.eventId)).toBe(expected)
      })
    })

    if (c.unreachableConnection !== undefined || c.unreachableConfig !== undefined) {
      it("unreachable server → a retryable DestinationError, promptly", async () => {
        const started = Date.now()
        const connection =
          c.spec.connection === undefined || c.unreachableConnection === undefined
            ? undefined
            : decode(c.spec.connection.schema, c.unreachableConnection)
        const scope = Effect.runSync(Scope.make())
        const config = c.unreachableConfig === undefined ? freshConfig() : decode(c.spec.config, c.unreachableConfig())
        const exit = await Effect.runPromiseExit(
          provided(
            c,
            Effect.gen(function* () {
              const destination = yield* c.spec.make(connection)
              return yield* destination.send(delivery(config))
            }).pipe(Scope.provide(scope))
          )
        )
        await Effect.runPromise(Scope.close(scope, Exit.void))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          const error = Cause.findErrorOption(exit.cause)
          expect(error._tag, Cause.pretty(exit.cause)).toBe("Some")
          if (error._tag === "Some") {
            expect(error.value).toBeInstanceOf(DestinationError)
            expect(error.value.retryable).toBe(true)
            expect(["unreachable", "timeout", "unavailable"]).toContain(error.value.reason)
          }
        }
        expect(Date.now() - started).toBeLessThan(c.unreachableWithinMs ?? 10_000)
      })
    }

    it("a bad config is a load-time error naming the field", () => {
      const result = Schema.decodeUnknownExit(c.spec.config)(c.badConfig.config)
      expect(Exit.isFailure(result)).toBe(true)
      if (Exit.isFailure(result)) {
        const error = Cause.findErrorOption(result.cause)
        expect(error._tag).toBe("Some")
        if (error._tag === "Some") {
          const message = String((error.value as { message?: string }).message)
          const segments = c.badConfig.path.split(".")
          for (const segment of segments) expect(message).toContain(segment)
        }
      }
    })

    it("interruption mid-send returns promptly and leaves nothing running", async () => {
      const baseline = liveHandles()
      await withDestination(c, c.connection, async (destination, connection) => {
        const config = freshConfig()
        await c.setup?.(config, connection)
        // warm the client, so its long-lived connections are part of the baseline below
        await send(c, destination, delivery(config))
        const held = await c.hold?.(config, connection)
        try {
          const fiber = Effect.runFork(
            provided(
              c,
              Effect.forEach(Array.from({ length: 10 }), () => destination.send(delivery(config)), {
                concurrency: 10,
                discard: true
              })
            )
          )
          // let the sends reach the wire (a few turns of the event loop)
          for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
          const started = Date.now()
          await Effect.runPromise(Fiber.interrupt(fiber))
          expect(Date.now() - started).toBeLessThan(2_000)
        } finally {
          await held?.release()
        }
      })
      await waitFor(() => liveHandles() <= baseline, {
        timeoutMs: 10_000,
        description: () =>
          `${c.name}: live handles back to ${baseline} (now ${liveHandles()}: ${process.getActiveResourcesInfo().join(",")})`
      })
    })

    it("closing the scope releases every client, socket and timer", async () => {
      // an earlier test's timers and sockets may still be winding down: count once they are still
      const baseline = await settledHandles()
      await withDestination(c, c.connection, async (destination, connection) => {
        const config = freshConfig()
        await c.setup?.(config, connection)
        for (let i = 0; i < 5; i++) await send(c, destination, delivery(config))
        expect(liveHandles()).toBeGreaterThanOrEqual(baseline)
      })
      await waitFor(() => liveHandles() <= baseline, {
        timeoutMs: 10_000,
        description: () =>
          `${c.name}: live handles back to ${baseline} (now ${liveHandles()}: ${process.getActiveResourcesInfo().join(",")})`
      })
    })
  })
}
