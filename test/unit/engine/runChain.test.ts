import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { fail, flaky, hang, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, harness, input, statuses } from "./fixtures.ts"

describe("sequential chains", () => {
  it.effect("runs modules in order and succeeds", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", ["a", "b", "c"]), { a: succeed(10), b: succeed(5), c: succeed(1) })
      assert.strictEqual(out.status, "succeeded")
      assert.deepStrictEqual(h.recorder.effects, ["a", "b", "c"])
      assert.deepStrictEqual(
        out.modules.map((m) => [m.id, m.status, m.attempts]),
        [
          ["a", "succeeded", 1],
          ["b", "succeeded", 1],
          ["c", "succeeded", 1]
        ]
      )
      assert.strictEqual(out.modules[0]?.duration_ms, 10)
    })
  )

  it.effect("continue_on_error false: the first failure ends the chain, the rest are skipped and never started", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("sequential", ["a", "b", "c"], { continueOnError: false })
      const out = yield* h.run(plan, { a: fail(false) })
      assert.deepStrictEqual(statuses(out), { a: "failed", b: "skipped", c: "skipped" })
      assert.strictEqual(out.status, "failed")
      assert.deepStrictEqual(h.recorder.started, ["a#1"])
      assert.strictEqual(out.modules[1]?.attempts, 0)
      assert.strictEqual(out.modules[1]?.error?.reason, "previous_failure")
    })
  )

  it.effect("continue_on_error false after a success is partial", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", ["a", "b", "c"], { continueOnError: false }), { b: fail(false) })
      assert.deepStrictEqual(statuses(out), { a: "succeeded", b: "failed", c: "skipped" })
      assert.strictEqual(out.status, "partial")
    })
  )

  it.effect("continue_on_error true: every module runs whatever happened before", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("sequential", ["a", "b"]), { a: fail(false) })
      assert.deepStrictEqual(statuses(out), { a: "failed", b: "succeeded" })
      assert.strictEqual(out.status, "partial")
    })
  )

  it.effect("a module that never completes ends the chain at its deadline, timed_out", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("sequential", [{ id: "a", timeoutMs: 30_000 }, "b"], { timeoutMs: 2_000 })
      const out = yield* h.run(plan, { a: hang })
      assert.strictEqual(out.status, "timed_out")
      assert.deepStrictEqual(statuses(out), { a: "timed_out", b: "timed_out" })
      assert.strictEqual(out.finishedAt - out.startedAt, 2_000)
      assert.strictEqual(out.modules[1]?.attempts, 0)
      assert.deepStrictEqual(h.recorder.interrupted, ["a"])
      assert.strictEqual(h.recorder.inFlight, 0)
    })
  )
})

describe("parallel chains", () => {
  it.effect("start together and all succeed", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("parallel", ["a", "b", "c"]), { a: succeed(30), b: succeed(10), c: succeed(20) })
      assert.strictEqual(out.status, "succeeded")
      assert.deepStrictEqual(h.recorder.effects, ["b", "c", "a"])
      assert.strictEqual(out.finishedAt - out.startedAt, 30)
      assert.strictEqual(h.recorder.maxInFlight, 3)
    })
  )

  it.effect("max_parallel bounds the modules in flight", () =>
    Effect.gen(function* () {
      const h = harness()
      const ids = ["a", "b", "c", "d", "e", "f"]
      const out = yield* h.run(
        chain("parallel", ids, { maxParallel: 2 }),
        Object.fromEntries(ids.map((id) => [id, succeed(10)]))
      )
      assert.strictEqual(out.status, "succeeded")
      assert.strictEqual(h.recorder.maxInFlight, 2)
      assert.strictEqual(out.finishedAt - out.startedAt, 30)
    })
  )

  it.effect("fail-fast interrupts running siblings; their later side effect never happens; unstarted are skipped", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("parallel", ["fast-fail", "slow", "queued"], { continueOnError: false, maxParallel: 2 })
      const out = yield* h.run(plan, { "fast-fail": fail(false, { delayMs: 100 }), slow: succeed(5_000) }, 60_000)
      assert.deepStrictEqual(statuses(out), { "fast-fail": "failed", slow: "interrupted", queued: "skipped" })
      assert.strictEqual(out.status, "failed")
      // the interruption reached the sibling before its side effect, and nothing started after the failure
      assert.deepStrictEqual(h.recorder.effects, [])
      assert.deepStrictEqual(h.recorder.interrupted, ["slow"])
      assert.deepStrictEqual(h.recorder.started, ["fast-fail#1", "slow#1"])
      assert.strictEqual(out.finishedAt - out.startedAt, 100)
      assert.strictEqual(out.modules[1]?.error?.message, "interrupted: module 'fast-fail' failed")
    })
  )

  it.effect("fail-fast keeps the real results of siblings that finished first", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("parallel", ["a", "b", "c"], { continueOnError: false })
      const out = yield* h.run(plan, { a: succeed(10), b: fail(false, { delayMs: 50 }), c: hang })
      assert.deepStrictEqual(statuses(out), { a: "succeeded", b: "failed", c: "interrupted" })
      assert.strictEqual(out.status, "partial")
    })
  )

  it.effect("continue_on_error true: every module runs to its own end", () =>
    Effect.gen(function* () {
      const h = harness()
      const out = yield* h.run(chain("parallel", ["a", "b", "c"]), { a: fail(false), b: succeed(500), c: fail(false) })
      assert.deepStrictEqual(statuses(out), { a: "failed", b: "succeeded", c: "failed" })
      assert.deepStrictEqual(h.recorder.effects, ["b"])
    })
  )

  it.effect("a hanging module in a parallel chain ends at the deadline with everything interrupted", () =>
    Effect.gen(function* () {
      const h = harness()
      const retrying = { id: "retrying", retry: { maxAttempts: 10, initialDelayMs: 100 } }
      const plan = chain("parallel", ["hangs", "fast", retrying], { timeoutMs: 1_000 })
      const out = yield* h.run(plan, {
        hangs: hang,
        fast: succeed(1),
        // fails at 300, retries at 400, fails at 700, retries at 900: in flight at the deadline
        retrying: fail(true, { delayMs: 300 })
      })
      assert.strictEqual(out.status, "timed_out")
      assert.deepStrictEqual(statuses(out), { hangs: "timed_out", fast: "succeeded", retrying: "timed_out" })
      assert.strictEqual(out.finishedAt - out.startedAt, 1_000)
      assert.strictEqual(out.modules[2]?.attempts, 3)
      assert.strictEqual(h.recorder.inFlight, 0)
    })
  )

  it.effect("the original's 20 parallel modules of 10 ms all succeed, each exactly once", () =>
    Effect.gen(function* () {
      const h = harness()
      const ids = Array.from({ length: 20 }, (_, i) => `m${i}`)
      const out = yield* h.run(chain("parallel", ids), Object.fromEntries(ids.map((id) => [id, succeed(10)])))
      assert.strictEqual(out.status, "succeeded")
      assert.strictEqual(h.recorder.effects.length, 20)
      assert.strictEqual(new Set(h.recorder.effects).size, 20)
    })
  )

  it.effect("all modules failing gives one failure each; one failing of three gives partial", () =>
    Effect.gen(function* () {
      const all = yield* harness().run(chain("parallel", ["a", "b", "c"]), {
        a: fail(false),
        b: fail(false),
        c: fail(false)
      })
      assert.strictEqual(all.status, "failed")
      assert.isTrue(all.modules.every((m) => m.status === "failed" && m.error?.tag === "DestinationError"))
      const one = yield* harness().run(chain("parallel", ["a", "b", "c"]), { b: fail(false) })
      assert.strictEqual(one.status, "partial")
      assert.deepStrictEqual(statuses(one), { a: "succeeded", b: "failed", c: "succeeded" })
    })
  )
})

describe("deliveries", () => {
  it.effect("share the payload (never copied) and carry a stable idempotency key across retries", () =>
    Effect.gen(function* () {
      const payload = { order: 42, nested: { deep: [1, 2, 3] } }
      const seen: Array<unknown> = []
      const engine = ChainEngine.make()
      const bound = engine.bind(chain("sequential", [{ id: "a", retry: { maxAttempts: 3 } }, "b"]), () => ({
        send: (d) =>
          Effect.suspend(() => {
            seen.push(d.payload)
            return d.moduleId === "a" && d.attempt < 3 ? Effect.fail(new (class {})() as never) : Effect.succeed({})
          })
      }))
      const h = harness(engine)
      const fiber = yield* Effect.forkChild(engine.run(bound, input("evt-9", payload)))
      yield* TestClock.adjust(60_000)
      const out = yield* Fiber.join(fiber)
      // a non-DestinationError failure is a defect: reported, not retried
      assert.strictEqual(out.modules[0]?.status, "failed")
      assert.isTrue(seen.every((p) => p === payload))
      assert.strictEqual(h.recorder.keys.length, 0)

      const h2 = harness()
      yield* h2.run(
        chain("sequential", [{ id: "a", retry: { maxAttempts: 3 } }]),
        { a: flaky(2) },
        60_000,
        input("evt-9")
      )
      // `<webhook_id>:<event_id>:<module id>`: scoped by stream
      assert.deepStrictEqual(h2.recorder.keys, ["orders:evt-9:a", "orders:evt-9:a", "orders:evt-9:a"])
    })
  )

  it.effect("replay runs only the listed modules, in chain order", () =>
    Effect.gen(function* () {
      const h = harness()
      const event = { ...input(), onlyModules: new Set(["c", "a"]) }
      const out = yield* h.run(chain("sequential", ["a", "b", "c"]), {}, 1_000, event)
      assert.deepStrictEqual(
        out.modules.map((m) => m.id),
        ["a", "c"]
      )
      assert.deepStrictEqual(h.recorder.effects, ["a", "c"])
      assert.strictEqual(out.status, "succeeded")
    })
  )
})
