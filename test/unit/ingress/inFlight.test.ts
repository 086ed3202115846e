import { describe, expect, it } from "vitest"
import { type InFlight, makeInFlight, type Slot } from "../../../src/ingress/inFlight.ts"

/** Takes slots for `stream` until refused (at most `limit`); returns them. */
const takeAll = (inFlight: InFlight, stream: string, limit = 1_000): Array<Slot> => {
  const slots: Array<Slot> = []
  for (let i = 0; i < limit; i++) {
    const slot = inFlight.tryAcquire(stream)
    if (slot === undefined) break
    slots.push(slot)
  }
  return slots
}

describe("in-flight cap: reserves per stream, the rest shared", () => {
  it("a flooded stream takes its reserve and the shared half, never another stream's reserve", () => {
    const inFlight = makeInFlight(8, ["a", "b"]) // reserve 2 each, shared 4
    expect(takeAll(inFlight, "a")).toHaveLength(6)
    expect(takeAll(inFlight, "b")).toHaveLength(2)
    expect(inFlight.count()).toBe(8)
  })

  it("a slot comes back once every holder released it, and a second release changes nothing", () => {
    const inFlight = makeInFlight(2, ["a"])
    const slot = inFlight.tryAcquire("a")
    slot?.hold()
    slot?.release()
    expect(inFlight.count()).toBe(1)
    slot?.release()
    slot?.release()
    expect(inFlight.count()).toBe(0)
    expect(takeAll(inFlight, "a")).toHaveLength(2)
  })
})

describe("in-flight cap across a reload (serve)", () => {
  it("a stream added gets a reserve that a flood on another stream cannot take", () => {
    const inFlight = makeInFlight(12, ["a", "b"])
    inFlight.serve(["a", "b", "c"]) // reserve 2 each, shared 6
    expect(takeAll(inFlight, "a")).toHaveLength(8)
    expect(takeAll(inFlight, "c")).toHaveLength(2)
    expect(takeAll(inFlight, "b")).toHaveLength(2)
  })

  it("a stream removed loses its reserve: the streams left split the cap between them", () => {
    const inFlight = makeInFlight(8, ["a", "b"])
    inFlight.serve(["a"])
    expect(takeAll(inFlight, "a")).toHaveLength(8)
    expect(takeAll(inFlight, "b")).toHaveLength(0)
  })

  it("a removed stream's slots still held count against the shared part, never against a reserve, and come back", () => {
    const inFlight = makeInFlight(12, ["a", "b", "c"]) // reserve 2 each, shared 6
    const bSlots = takeAll(inFlight, "b", 3) // its reserve and one shared
    inFlight.serve(["a", "c"]) // reserve 3 each, shared 6, of which b's 3 now count
    expect(takeAll(inFlight, "a")).toHaveLength(6)
    expect(takeAll(inFlight, "c")).toHaveLength(3)
    expect(inFlight.count()).toBe(12)
    for (const slot of bSlots) slot.release()
    expect(inFlight.count()).toBe(9)
    expect(takeAll(inFlight, "a")).toHaveLength(3)
  })

  it("the cap holds right after a reload even when a new reserve is still held by the old plan's slots", () => {
    const inFlight = makeInFlight(4, ["a", "b"]) // reserve 1 each, shared 2
    const aSlots = takeAll(inFlight, "a") // 3: its reserve and the shared part
    takeAll(inFlight, "b") // 1
    inFlight.serve(["b", "c"])
    expect(inFlight.tryAcquire("c")).toBeUndefined()
    expect(inFlight.count()).toBe(4)
    for (const slot of aSlots) slot.release()
    expect(takeAll(inFlight, "c")).toHaveLength(3)
  })

  it("whatever the order of takes, releases and reloads: never over the cap, and everything back at the end", () => {
    // a fixed pseudo-random sequence (LCG), so a failure reproduces
    let seed = 42
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const names = ["a", "b", "c", "d", "e"]
    const max = 10
    let served = ["a", "b"]
    const inFlight = makeInFlight(max, served)
    const held: Array<Slot> = []
    for (let step = 0; step < 5_000; step++) {
      const action = next(10)
      if (action < 5) {
        const slot = inFlight.tryAcquire(names[next(names.length)] ?? "a")
        if (slot !== undefined) held.push(slot)
      } else if (action < 9) {
        held.splice(next(held.length + 1), 1)[0]?.release()
      } else {
        served = names.filter(() => next(2) === 0)
        inFlight.serve(served)
      }
      expect(inFlight.count()).toBe(held.length)
      expect(inFlight.count()).toBeLessThanOrEqual(max)
    }
    for (const slot of held) slot.release()
    expect(inFlight.count()).toBe(0)
    // nothing of the old plans leaked: under the plan of the last reload the shares are whole
    // again (the first stream its reserve and the shared part, every other one its reserve)
    expect(served.length).toBeGreaterThan(1)
    const reserve = Math.floor(max / 2 / served.length)
    const [first = "", ...others] = served
    expect(takeAll(inFlight, first)).toHaveLength(max - reserve * others.length)
    for (const stream of others) expect(takeAll(inFlight, stream)).toHaveLength(reserve)
  })
})
