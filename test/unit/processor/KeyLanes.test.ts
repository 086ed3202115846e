import { describe, expect, it } from "vitest"
import { KeyLanes } from "../../../src/processor/KeyLanes.ts"

describe("KeyLanes", () => {
  it("runs one job per key at a time, in arrival order; other keys and keyless jobs run at once", () => {
    const lanes = new KeyLanes<number>()
    expect(lanes.submit("a", 1)).toBe(true)
    expect(lanes.submit("a", 2)).toBe(false)
    expect(lanes.submit("b", 3)).toBe(true)
    expect(lanes.submit(undefined, 4)).toBe(true)
    expect(lanes.submit("a", 5)).toBe(false)
    expect(lanes.queued).toBe(2)
    expect(lanes.finish("a")).toBe(2)
    expect(lanes.finish("a")).toBe(5)
    expect(lanes.finish("a")).toBeUndefined()
    expect(lanes.finish("b")).toBeUndefined()
    expect(lanes.activeKeys).toBe(0)
    // a drained key starts fresh
    expect(lanes.submit("a", 6)).toBe(true)
  })

  it("keeps no lane for a drained key, so memory follows keys in flight only", () => {
    const lanes = new KeyLanes<number>()
    for (let i = 0; i < 10_000; i++) {
      lanes.submit(`k${i}`, i)
      lanes.finish(`k${i}`)
    }
    expect(lanes.activeKeys).toBe(0)
  })
})
