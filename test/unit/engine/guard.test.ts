import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { makeGuard, makeGuardRegistry } from "../../../src/engine/Guard.ts"
import { fail, flaky, simulatedDestination, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, harness, input } from "./fixtures.ts"

const policy = { key: "db", maxInFlight: 2, maxQueued: 2, failureThreshold: 3, cooldownMs: 1_000 }

describe("Guard (circuit breaker)", () => {
  it("opens after N consecutive unhealthy results and refuses while open", () => {
    const g = makeGuard(policy)
    for (let i = 0; i < 3; i++) g.onUnhealthy(g.admit(0), 0)
    assert.strictEqual(g.snapshot().state, "open")
    assert.strictEqual(g.admit(500), "refuse")
  })

  it("a healthy answer resets the consecutive count", () => {
    const g = makeGuard(policy)
    g.onUnhealthy(g.admit(0), 0)
    g.onUnhealthy(g.admit(0), 0)
    g.onHealthy(g.admit(0))
    g.onUnhealthy(g.admit(0), 0)
    assert.strictEqual(g.snapshot().state, "closed")
    assert.strictEqual(g.snapshot().consecutiveFailures, 1)
  })

  it("after the cool-down lets exactly one probe through; its success closes the circuit", () => {
    const g = makeGuard(policy)
    for (let i = 0; i < 3; i++) g.onUnhealthy(g.admit(0), 0)
    const probe = g.admit(1_000)
    assert.strictEqual(probe, "probe")
    assert.strictEqual(g.admit(1_000), "refuse")
    g.onHealthy(probe)
    assert.strictEqual(g.snapshot().state, "closed")
    assert.strictEqual(g.admit(1_001), "pass")
  })

  it("a failed probe re-opens for another cool-down; an abandoned probe frees the slot", () => {
    const g = makeGuard(policy)
    for (let i = 0; i < 3; i++) g.onUnhealthy(g.admit(0), 0)
    g.onUnhealthy(g.admit(1_000), 1_000)
    assert.strictEqual(g.snapshot().state, "open")
    assert.strictEqual(g.admit(1_500), "refuse")
    const probe = g.admit(2_000)
    assert.strictEqual(probe, "probe")
    g.onAbandoned(probe)
    assert.strictEqual(g.admit(2_000), "probe")
  })
})

describe("circuit breaker in chains", () => {
  it.effect("a dead sink opens its circuit; later events fail at once with circuit_open and no call", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("sequential", [{ id: "db", guardKey: "main_db", failureThreshold: 3, cooldownMs: 10_000 }])
      for (let i = 0; i < 3; i++) yield* h.run(plan, { db: fail(true, { reason: "unreachable" }) }, 100)
      assert.strictEqual(h.engine.guards.snapshot()[0]?.state, "open")
      const calls = h.recorder.started.length
      const out = yield* h.run(plan, { db: succeed() }, 100)
      assert.strictEqual(out.modules[0]?.status, "circuit_open")
      assert.strictEqual(out.modules[0]?.attempts, 0)
      assert.strictEqual(out.modules[0]?.error?.reason, "circuit_open")
      assert.strictEqual(h.recorder.started.length, calls)
      // after the cool-down one probe goes through and closes the circuit
      yield* TestClock.adjust(10_000)
      const probe = yield* h.run(plan, { db: succeed() }, 100)
      assert.strictEqual(probe.modules[0]?.status, "succeeded")
      assert.strictEqual(h.engine.guards.snapshot()[0]?.state, "closed")
    })
  )

  it.effect("non-retryable refusals do not open the circuit (the sink is answering)", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("sequential", [{ id: "api", failureThreshold: 2 }])
      for (let i = 0; i < 5; i++) yield* h.run(plan, { api: fail(false, { reason: "rejected" }) }, 100)
      assert.strictEqual(h.engine.guards.snapshot()[0]?.state, "closed")
    })
  )

  it.effect("an open circuit in a fail-fast chain fails the chain without waiting", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("parallel", [{ id: "db", failureThreshold: 1, cooldownMs: 60_000 }, "other"], {
        continueOnError: false
      })
      yield* h.run(plan, { db: fail(true), other: succeed(1) }, 100)
      const started = h.recorder.started.length
      const out = yield* h.run(plan, { other: succeed(5_000) }, 10_000)
      assert.strictEqual(out.modules[0]?.status, "circuit_open")
      // the refusal is immediate, so the sibling is never even started
      assert.strictEqual(out.modules[1]?.status, "skipped")
      assert.strictEqual(h.recorder.started.length, started)
      assert.strictEqual(out.finishedAt - out.startedAt, 0)
    })
  )
})

describe("per-connection concurrency limit", () => {
  it.effect("many chains sharing a connection never exceed its max_in_flight", () =>
    Effect.gen(function* () {
      const engine = ChainEngine.make()
      const h = harness(engine)
      const destination = simulatedDestination(() => succeed(100), h.recorder)
      const plan = chain("parallel", [
        { id: "a", guardKey: "shared", maxInFlight: 3 },
        { id: "b", guardKey: "shared", maxInFlight: 3 }
      ])
      const bound = engine.bind(plan, () => destination)
      const fibers = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) => Effect.forkChild(engine.run(bound, input(`e${i}`)))
      )
      yield* TestClock.adjust(10_000)
      const outs = yield* Fiber.joinAll(fibers)
      assert.isTrue(outs.every((o) => o.status === "succeeded"))
      assert.strictEqual(h.recorder.maxInFlight, 3)
      assert.strictEqual(h.recorder.effects.length, 20)
    })
  )

  it.effect("a flaky sink behind the limit still completes every event", () =>
    Effect.gen(function* () {
      const h = harness()
      const plan = chain("sequential", [{ id: "a", maxInFlight: 1, retry: { maxAttempts: 3, initialDelayMs: 10 } }])
      const out = yield* h.run(plan, { a: flaky(1) }, 1_000)
      assert.strictEqual(out.modules[0]?.attempts, 2)
    })
  )
})

describe("GuardRegistry (a reload's guards)", () => {
  it("keeps a key's guard, its open circuit included, while its limits and target stay the same", () => {
    const registry = makeGuardRegistry()
    const first = registry.get(policy, "host-a")
    for (let i = 0; i < policy.failureThreshold; i++) first.onUnhealthy(first.admit(0), 0)
    assert.strictEqual(first.snapshot().state, "open")
    assert.strictEqual(registry.get({ ...policy }, "host-a"), first)
    assert.strictEqual(registry.snapshot().length, 1)
  })

  it("gives a fresh guard when the key points elsewhere or its limits change: the old host's open circuit does not refuse the new one", () => {
    const registry = makeGuardRegistry()
    const old = registry.get(policy, "host-a")
    for (let i = 0; i < policy.failureThreshold; i++) old.onUnhealthy(old.admit(0), 0)
    const moved = registry.get(policy, "host-b")
    assert.notStrictEqual(moved, old)
    assert.strictEqual(moved.snapshot().state, "closed")
    assert.strictEqual(moved.admit(0), "pass")
    const wider = registry.get({ ...policy, maxInFlight: 8 }, "host-b")
    assert.notStrictEqual(wider, moved)
    assert.strictEqual(wider.snapshot().maxInFlight, 8)
    // one guard per key in the gauges: the replaced ones are gone from the registry
    assert.strictEqual(registry.snapshot().length, 1)
  })
})
