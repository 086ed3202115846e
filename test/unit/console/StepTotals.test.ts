/**
 * The streams view's per-step numbers: since the process started, whether or not a page was
 * open, with steps that never started (skipped) counted apart from runs.
 */
import { describe, expect, it } from "vitest"
import { MAX_STEP_KEYS, makeStepTotals } from "../../../src/console/StepTotals.ts"

describe("step totals", () => {
  it("a step that was only ever skipped has no runs, not a 0% success rate", () => {
    const totals = makeStepTotals()
    totals.of("payments").add("display", "skipped", 0, 0)
    expect(totals.view()["payments/display"]).toEqual({ runs: 0, succeeded: 0, skipped: 1, meanMs: 0 })
  })

  it("stop adding keys at the cap (webhook ids read from a topic are unbounded)", () => {
    const totals = makeStepTotals()
    for (let i = 0; i < MAX_STEP_KEYS + 50; i++) totals.of(`hook-${i}`).add("crm", "succeeded", 1, 1)
    expect(Object.keys(totals.view()).length).toBe(MAX_STEP_KEYS)
    totals.of("hook-0").add("crm", "succeeded", 1, 3)
    expect(totals.view()["hook-0/crm"]?.runs).toBe(2)
  })
})
