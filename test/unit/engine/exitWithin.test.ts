/**
 * The engine's timeouts (exitWithin for attempts, finishedWithin for the chain deadline) keep
 * Effect.timeout/timeoutOption's semantics on their cheap path (system clock: one child fiber
 * and a timer) and fall back to Effect's under a TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { exitWithin, finishedWithin } from "../../../src/engine/exitWithin.ts"

/** `Effect.timeout` / `Effect.timeoutOption` built on the engine's two primitives */
const timeoutCheap = <A, E>(self: Effect.Effect<A, E>, ms: number) =>
  Effect.clockWith((clock) => Effect.flatten(exitWithin(clock, self, ms)))
const timeoutOptionCheap = <A, E>(self: Effect.Effect<A, E>, ms: number) =>
  Effect.clockWith((clock) =>
    Effect.flatMap(finishedWithin(clock, self, ms), (exit) =>
      exit === undefined ? Effect.succeedNone : Effect.map(exit, Option.some)
    )
  )

describe("exitWithin / finishedWithin (system clock)", () => {
  it.live("a synchronous success is returned as is", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* timeoutCheap(Effect.succeed(1), 50), 1)
      assert.deepStrictEqual(yield* timeoutOptionCheap(Effect.succeed(1), 50), Option.some(1))
    })
  )

  it.live("an asynchronous success before the time is up", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* timeoutCheap(Effect.as(Effect.sleep(5), "late but in time"), 500), "late but in time")
      assert.deepStrictEqual(yield* timeoutOptionCheap(Effect.as(Effect.sleep(5), 2), 500), Option.some(2))
    })
  )

  it.live("failures and defects pass through unchanged", () =>
    Effect.gen(function* () {
      const failed = yield* Effect.exit(timeoutCheap(Effect.andThen(Effect.sleep(5), Effect.fail("boom")), 500))
      assert.deepStrictEqual(failed, Exit.fail("boom"))
      const died = yield* Effect.exit(timeoutOptionCheap(Effect.andThen(Effect.sleep(5), Effect.die("bug")), 500))
      assert.isTrue(Exit.isFailure(died) && Cause.hasDies(died.cause))
    })
  )

  it.live("time up: the effect is interrupted, its finalizers run before the caller resumes", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const hang = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("interrupted"))))
      const started = Date.now()
      const exit = yield* Effect.exit(timeoutCheap(hang, 30))
      log.push("resumed")
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = Cause.findErrorOption(exit.cause)
        assert.isTrue(error._tag === "Some" && Cause.isTimeoutError(error.value))
      }
      assert.isAtLeast(Date.now() - started, 25)
      assert.deepStrictEqual(log, ["interrupted", "resumed"])

      const none = yield* timeoutOptionCheap(
        Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("again")))),
        10
      )
      assert.deepStrictEqual(none, Option.none())
      assert.deepStrictEqual(log, ["interrupted", "resumed", "again"])
    })
  )

  it.live("an interrupted caller interrupts the effect and waits for it", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const caller = yield* Effect.forkChild(
        timeoutCheap(
          Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("effect interrupted")))),
          60_000
        )
      )
      yield* Effect.sleep(10)
      yield* Fiber.interrupt(caller)
      assert.deepStrictEqual(log, ["effect interrupted"])
    })
  )
})

describe("exitWithin / finishedWithin (TestClock)", () => {
  it.effect("uses Effect's timeouts, so virtual time decides", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(Effect.exit(timeoutCheap(Effect.never, 1_000)))
      const option = yield* Effect.forkChild(timeoutOptionCheap(Effect.never, 1_000))
      yield* TestClock.adjust(1_000)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* Fiber.join(option), Option.none())
    })
  )
})
