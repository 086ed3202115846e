import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { loadStreams } from "../../../src/config/loadStreams.ts"
import type { StreamDefinition } from "../../../src/config/StreamDefinition.ts"
import { runStreamTest, runStreamTests } from "../../../src/streamTests/runStreamTests.ts"

const env = { KAFKA_BROKERS: "127.0.0.1:9092" }
const examples = () =>
  Effect.runPromise(loadStreams({ paths: ["streams"], env }).pipe(Effect.provide(NodeServices.layer)))

describe("inline stream tests (hookstream test)", () => {
  it("the example streams carry inline tests and they all pass", async () => {
    const config = await examples()
    const results = await Effect.runPromise(runStreamTests(config.streams))
    expect(results.length).toBeGreaterThanOrEqual(config.streams.length)
    for (const r of results) expect(r.mismatches, `${r.stream} › ${r.name}`).toEqual([])
  })

  it("a wrong expectation fails with the mismatch spelled out", async () => {
    const config = await examples()
    const stream = config.streams.find((s) => s.plan.webhookId === "github-push") as StreamDefinition
    const [first] = stream.plan.modules
    const broken = {
      name: "broken",
      event: { payload: { x: 1 }, payloadEncoding: "json" as const, headers: {} },
      modules: {
        [first?.id ?? ""]: { behaviour: "fail" as const, delayMs: 0, retryable: false, reason: "rejected" as const }
      },
      expect: { status: "succeeded" as const, modules: { [first?.id ?? ""]: "succeeded" as const }, dlqReason: null }
    }
    const result = await Effect.runPromise(runStreamTest(stream, broken))
    expect(result.passed).toBe(false)
    expect(result.mismatches).toContain(`module ${first?.id}: expected succeeded, got failed`)
    expect(result.mismatches.some((m) => m.startsWith("dead letter: expected none, got"))).toBe(true)
  })

  it("a hanging module is decided by the chain deadline on the test clock, instantly", async () => {
    const config = await examples()
    const stream = config.streams.find((s) => s.plan.webhookId === "github-push") as StreamDefinition
    const hangAll = Object.fromEntries(stream.plan.modules.map((m) => [m.id, { behaviour: "hang" as const }]))
    const started = Date.now()
    const result = await Effect.runPromise(
      runStreamTest(stream, {
        name: "hang",
        event: { payload: {}, payloadEncoding: "json", headers: {} },
        modules: hangAll,
        expect: { status: "timed_out", modules: {}, dlqReason: "timed_out" }
      })
    )
    expect(result.mismatches).toEqual([])
    expect(Date.now() - started).toBeLessThan(stream.plan.timeoutMs)
  })
})
