import { getHeapStatistics } from "node:v8"
import { describe, expect, it } from "vitest"
import { applyHeapProfile, DEFAULT_HEAP_GROWING_PERCENT } from "../../../src/runtime/heapProfile.ts"

describe("heap profile", () => {
  it("leaves V8's default with HOOKSTREAM_HEAP_GROWING_PERCENT=0 or a bad value, else applies it once", () => {
    expect(applyHeapProfile({ HOOKSTREAM_HEAP_GROWING_PERCENT: "0" })).toBeUndefined()
    expect(applyHeapProfile({ HOOKSTREAM_HEAP_GROWING_PERCENT: "lots" })).toBeUndefined()
    expect(applyHeapProfile({ HOOKSTREAM_HEAP_GROWING_PERCENT: "-5" })).toBeUndefined()
    expect(applyHeapProfile({})).toBe(DEFAULT_HEAP_GROWING_PERCENT)
    // once per process: a later call reports what is in effect
    expect(applyHeapProfile({ HOOKSTREAM_HEAP_GROWING_PERCENT: "50" })).toBe(DEFAULT_HEAP_GROWING_PERCENT)
    // V8 accepted the flag and still works
    expect(getHeapStatistics().used_heap_size).toBeGreaterThan(0)
  })
})
