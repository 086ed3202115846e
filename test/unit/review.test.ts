/**
 * The code review of the original gateway (shared/seeds/000_62c02449853d8ceb.txt), finding
 * by finding, as reproductions that must fail in hookstream. Most mechanisms have deeper
 * tests next to their code; these name the finding they close.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { ChainEngine } from "../../src/engine/ChainEngine.ts"
import { handleRecord } from "../../src/processor/handleRecord.ts"
import { fail, hang, makeRecorder, simulatedDestination, succeed } from "../../src/streamTests/SimulatedDestination.ts"
import { chain, harness, input } from "./engine/fixtures.ts"

const topics = { results: "results", dlq: "dlq" }

describe("review findings, reproduced against hookstream", () => {
  it("P1 fire-and-forget loses results: every record, whatever its bytes, yields a durable outcome record", async () => {
    const engine = ChainEngine.make()
    const bound = engine.bind(chain("parallel", ["a", "b"]), () => simulatedDestination(() => succeed()))
    const ctx = {
      streams: new Map([["orders", { chain: bound, maxPayloadBytes: 4_096 }]]),
      engine,
      topics,
      now: () => 0
    }
    const value = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
      fc
        .record({ webhook_id: fc.constantFrom("orders", "nope", ""), payload: fc.jsonValue() }, { requiredKeys: [] })
        .map((o) => Buffer.from(JSON.stringify(o)))
    )
    await fc.assert(
      fc.asyncProperty(value, async (bytes) => {
        const out = await Effect.runPromise(
          handleRecord(ctx, {
            topic: "t",
            partition: 0,
            offset: "1",
            key: null,
            value: bytes,
            headers: {},
            timestamp: 0
          })
        )
        // at least one record, at most one result, and every one of them is a known wire format
        assert.isAtLeast(out.length, 1)
        assert.isAtMost(out.filter((o) => o.topic === "results").length, 1)
        for (const o of out) assert.include(["hookstream.result/v1", "hookstream.dlq/v1"], JSON.parse(o.value).schema)
      }),
      { numRuns: 300 }
    )
  })

  it.effect("P1 parallel execution has no timeout: a module that never answers ends at the chain deadline", () =>
    Effect.gen(function* () {
      const h = harness()
      // the module's own timeout ends the attempt first…
      const bounded = yield* h.run(chain("parallel", [{ id: "hangs", timeoutMs: 5_000 }, "ok"]), { hangs: hang })
      assert.strictEqual(bounded.modules[0]?.status, "timed_out")
      assert.strictEqual(bounded.finishedAt - bounded.startedAt, 5_000)
      // …and with no module bound at all, the chain deadline still does
      const unbounded = { id: "hangs", timeoutMs: Number.MAX_SAFE_INTEGER }
      const out = yield* h.run(chain("parallel", [unbounded, "ok"], { timeoutMs: 30_000 }), { hangs: hang }, 3_600_000)
      assert.strictEqual(out.status, "timed_out")
      assert.strictEqual(out.finishedAt - out.startedAt, 30_000)
      assert.strictEqual(h.recorder.inFlight, 0)
    })
  )

  it.effect(
    "P2 no cancellation on partial failure: failed sibling → the others are interrupted before their side effect",
    () =>
      Effect.gen(function* () {
        const h = harness()
        const ids = ["fails", "b", "c", "d", "e"]
        const out = yield* h.run(chain("parallel", ids, { continueOnError: false }), {
          fails: fail(false, { delayMs: 100 }),
          b: succeed(1_000),
          c: succeed(1_000),
          d: succeed(1_000),
          e: succeed(1_000)
        })
        assert.deepStrictEqual(h.recorder.effects, [])
        assert.deepStrictEqual(
          out.modules.map((m) => m.status),
          ["failed", "interrupted", "interrupted", "interrupted", "interrupted"]
        )
      })
  )

  it.effect("P2 20 attempts × 60 s retry storm: a module's retries cannot outlive the chain deadline", () =>
    Effect.gen(function* () {
      const h = harness()
      const storm = { id: "s", retry: { maxAttempts: 10, initialDelayMs: 30_000, maxDelayMs: 30_000, multiplier: 1 } }
      const out = yield* h.run(chain("sequential", [storm], { timeoutMs: 60_000 }), { s: fail(true) }, 3_600_000)
      assert.isAtMost(out.finishedAt - out.startedAt, 60_000)
      assert.isAtMost(out.modules[0]?.attempts ?? 99, 2)
    })
  )

  it.effect("P2 deep copies per module: every module receives the same payload object, never a copy", () =>
    Effect.gen(function* () {
      const engine = ChainEngine.make()
      const seen: Array<unknown> = []
      const recorder = makeRecorder()
      const sim = simulatedDestination(() => succeed(), recorder)
      const spy = {
        send: (d: Parameters<typeof sim.send>[0]) =>
          Effect.suspend(() => {
            seen.push(d.payload, d.config)
            return sim.send(d)
          })
      }
      const payload = { big: "x".repeat(1_000_000) }
      const fiber = yield* Effect.forkChild(
        engine.run(
          engine.bind(chain("parallel", ["a", "b", "c"]), () => spy),
          input("e", payload)
        )
      )
      yield* TestClock.adjust(1_000)
      yield* Fiber.join(fiber)
      assert.isTrue(seen.filter((_, i) => i % 2 === 0).every((p) => p === payload))
      assert.isTrue(seen.filter((_, i) => i % 2 === 1).every((c) => Object.isFrozen(c)))
    })
  )
})
