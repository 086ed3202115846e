import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { activeFibers, fiberCountLayer } from "../../../src/observability/fiberMetrics.ts"

describe("hookstream_fibers_active", () => {
  it("counts the fibers started under the layer and comes back down once they end", async () => {
    const before = activeFibers()
    const seen = await Effect.runPromise(
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const fibers = yield* Effect.forEach(Array.from({ length: 25 }), () => Effect.forkChild(Deferred.await(gate)))
        const during = activeFibers()
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.awaitAll(fibers)
        // an interrupted fiber ends too
        const hung = yield* Effect.forkChild(Effect.never)
        yield* Fiber.interrupt(hung)
        return during
      }).pipe(Effect.provide(fiberCountLayer))
    )
    expect(seen - before).toBeGreaterThanOrEqual(25)
    expect(activeFibers()).toBe(before)
  })
})
