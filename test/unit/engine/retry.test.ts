import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fail, flaky, hang, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, harness, statuses } from "./fixtures.ts"

const retrying = (id: string, maxAttempts: number, extra: Record<string, number | boolean> = {}) => ({
  id,
  retry: { maxAttempts, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: false, ...extra }
})

describe("retries", () => {
  it.effect("retry a retryable failure until it succeeds, reporting the attempts", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", [retrying("a", 3)]), { a: flaky(2) })
      assert.strictEqual(out.status, "succeeded")
      assert.strictEqual(out.modules[0]?.attempts, 3)
      // backoff 100 ms then 200 ms (no jitter)
      assert.strictEqual(out.finishedAt - out.startedAt, 300)
    })
  )

  it.effect("a non-retryable failure is attempted once", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", [retrying("a", 5)]), { a: fail(false, { reason: "rejected" }) })
      assert.strictEqual(out.modules[0]?.attempts, 1)
      assert.deepStrictEqual(out.modules[0]?.error, {
        tag: "DestinationError",
        reason: "rejected",
        retryable: false,
        message: "simulated failure"
      })
    })
  )

  it.effect("stops at max_attempts with the last error", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", [retrying("a", 3)]), { a: fail(true) })
      assert.strictEqual(out.modules[0]?.status, "failed")
      assert.strictEqual(out.modules[0]?.attempts, 3)
      assert.deepStrictEqual(h.recorder.started, ["a#1", "a#2", "a#3"])
    })
  )

  it.effect("an attempt that runs past the module timeout is timed_out and retried", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", [{ ...retrying("a", 2), timeoutMs: 500 }]), { a: hang })
      assert.strictEqual(out.modules[0]?.status, "timed_out")
      assert.strictEqual(out.modules[0]?.attempts, 2)
      assert.strictEqual(out.modules[0]?.error?.message, "attempt timed out after 500 ms")
      assert.strictEqual(out.finishedAt - out.startedAt, 1_100)
      assert.deepStrictEqual(h.recorder.interrupted, ["a", "a"])
    })
  )

  it.effect("honours Retry-After when it asks for longer than the backoff", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", [retrying("a", 2)]), {
        a: fail(true, { reason: "throttled", retryAfterMs: 5_000 })
      })
      assert.strictEqual(out.modules[0]?.attempts, 2)
      assert.strictEqual(out.finishedAt - out.startedAt, 5_000)
    })
  )

  it.effect("never starts a retry whose delay would cross the chain deadline", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", [retrying("a", 10)], { timeoutMs: 1_000 }), {
        a: fail(true, { reason: "throttled", retryAfterMs: 5_000 })
      })
      assert.strictEqual(out.modules[0]?.attempts, 1)
      assert.strictEqual(out.modules[0]?.status, "failed")
      assert.strictEqual(out.status, "failed")
      assert.strictEqual(out.finishedAt - out.startedAt, 0)
    })
  )

  it.effect("retry storm bounded: 10 attempts with long delays never run past the chain deadline", () =>
    Effect.gen(function* () {
      const h = harness()
      const storm = {
        id: "storm",
        timeoutMs: 20_000,
        retry: { maxAttempts: 10, initialDelayMs: 10_000, maxDelayMs: 30_000, multiplier: 10, jitter: false }
      }
      const out = yield* h.run(
        chain("sequential", [storm, "after"], { timeoutMs: 30_000 }),
        { storm: fail(true, { delayMs: 2_000 }) },
        3_600_000
      )
      // attempt 1 fails at 2 s, waits 10 s; attempt 2 fails at 14 s; the next wait (30 s) would
      // cross the deadline, so the module gives up there and the chain moves on
      assert.strictEqual(out.modules[0]?.attempts, 2)
      assert.strictEqual(out.modules[0]?.status, "failed")
      assert.strictEqual(statuses(out).after, "succeeded")
      assert.strictEqual(out.finishedAt - out.startedAt, 14_000)
    })
  )

  it.effect("with jitter, a retry storm still ends by the deadline whatever the random draws", () =>
    Effect.gen(function* () {
      for (let i = 0; i < 50; i++) {
        const storm = {
          id: "storm",
          timeoutMs: 20_000,
          retry: { maxAttempts: 10, initialDelayMs: 10_000, maxDelayMs: 30_000, multiplier: 10, jitter: true }
        }
        const out = yield* harness().run(
          chain("sequential", [storm, "after"], { timeoutMs: 30_000 }),
          { storm: fail(true, { delayMs: 2_000 }) },
          3_600_000
        )
        assert.isAtMost(out.finishedAt - out.startedAt, 30_000)
        assert.isBelow(out.modules[0]?.attempts ?? 99, 10)
      }
    })
  )

  it.effect("a sequential chain of slow retrying modules is bounded by one deadline, not a sum of retry budgets", () =>
    Effect.gen(function* () {
      const h = harness()
      const ids = Array.from({ length: 10 }, (_, i) =>
        retrying(`m${i}`, 10, { initialDelayMs: 1_000, maxDelayMs: 30_000 })
      )
      const behaviours = Object.fromEntries(ids.map((s) => [s.id, fail(true, { delayMs: 1_000 })]))
      const out = yield* h.run(chain("sequential", ids, { timeoutMs: 60_000 }), behaviours, 3_600_000)
      assert.isAtMost(out.finishedAt - out.startedAt, 60_000)
      assert.isTrue(out.modules.every((m) => m.status !== "succeeded"))
    })
  )

  it.effect("succeeding after a slow first attempt reports the whole duration", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", [retrying("a", 3)]), { a: succeed(250) })
      assert.strictEqual(out.modules[0]?.duration_ms, 250)
    })
  )
})
