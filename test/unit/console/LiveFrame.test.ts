import { describe, expect, it } from "vitest"
import {
  addSignal,
  emptyWindow,
  type LiveOutcome,
  quantile,
  RESERVOIR_SIZE,
  TAIL_SIZE,
  toFrame
} from "../../../src/console/LiveFrame.ts"

const outcome = (i: number, webhookId = "orders"): LiveOutcome => ({
  webhookId,
  eventId: `e${i}`,
  status: i % 3 === 0 ? "failed" : "succeeded",
  durationMs: i,
  finishedAt: i,
  modules: [{ id: "crm", module: "http", status: i % 3 === 0 ? "failed" : "succeeded", attempts: 1, durationMs: i }]
})
const gauges = { inFlight: 3, lag: [], circuits: [], destinations: [] }

describe("live windows", () => {
  it("count every outcome but keep a fixed-size sample and tail, newest first", () => {
    const w = emptyWindow()
    for (let i = 1; i <= 5_000; i++) addSignal(w, { _tag: "Outcome", outcome: outcome(i) })
    addSignal(w, { _tag: "DeadLetter", reason: "chain_failed" })
    expect(w.durations.length).toBe(RESERVOIR_SIZE)
    const frame = toFrame(w, {}, gauges, 10, 1_000)
    expect(frame.events).toBe(5_000)
    expect(frame.byStatus).toEqual({ succeeded: 3_334, failed: 1_666 })
    expect(frame.deadLetters).toBe(1)
    expect(frame.tail.length).toBe(TAIL_SIZE)
    expect(frame.tail[0]?.eventId).toBe("e5000")
    expect(frame.tail.at(-1)?.eventId).toBe(`e${5_001 - TAIL_SIZE}`)
    // a uniform sample of 1..5000: the median lands near the middle
    expect(frame.p50Ms).toBeGreaterThan(2_000)
    expect(frame.p50Ms).toBeLessThan(3_000)
  })

  it("quantiles by nearest rank", () => {
    expect(quantile([], 0.5)).toBeNull()
    expect(quantile([5, 1, 3], 0.5)).toBe(3)
    expect(
      quantile(
        [...Array(100).keys()].map((i) => i + 1),
        0.99
      )
    ).toBe(99)
  })
})
