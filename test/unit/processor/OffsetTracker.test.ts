import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { OffsetTracker } from "../../../src/processor/OffsetTracker.ts"

describe("OffsetTracker", () => {
  it("never commits past an unfinished record, whatever order records finish in", () => {
    const t = new OffsetTracker<string>(10)
    for (const o of [10, 11, 12, 13]) t.add(o)
    t.complete(12, "c")
    t.complete(13, "d")
    expect(t.commitOffset()).toBe(10)
    expect(t.takeDonePrefix()).toBeUndefined()
    t.complete(10, "a")
    expect(t.takeDonePrefix()).toEqual({ commitOffset: 11, values: ["a"] })
    t.complete(11, "b")
    expect(t.takeDonePrefix()).toEqual({ commitOffset: 14, values: ["b", "c", "d"] })
    expect(t.pending).toBe(0)
    expect(t.size).toBe(0)
  })

  it("handles offset gaps (compaction, transaction markers)", () => {
    const t = new OffsetTracker(0)
    t.add(3)
    t.add(7)
    t.complete(3)
    expect(t.takeDonePrefix()?.commitOffset).toBe(7)
    t.complete(7)
    expect(t.takeDonePrefix()?.commitOffset).toBe(8)
  })

  it("recognises redeliveries after a rejoin (offsets at or below the highest seen)", () => {
    const t = new OffsetTracker(5)
    expect(t.add(4)).toBe(false)
    expect(t.add(5)).toBe(true)
    expect(t.add(6)).toBe(true)
    expect(t.add(5)).toBe(false)
    t.complete(5)
    t.takeDonePrefix()
    expect(t.add(5)).toBe(false)
    expect(t.pending).toBe(1)
  })

  it("ignores completion of unknown or already-done offsets", () => {
    const t = new OffsetTracker(0)
    t.add(0)
    expect(t.complete(9)).toBe(false)
    expect(t.complete(0)).toBe(true)
    expect(t.complete(0)).toBe(false)
    expect(t.pending).toBe(0)
  })

  it("property: the commit offset is always the first unfinished offset, and memory follows the live window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3_000 }),
        fc.array(fc.nat(), { maxLength: 3_000 }),
        (gaps, picks) => {
          const t = new OffsetTracker(0)
          const offsets: Array<number> = []
          let o = 0
          for (const g of gaps) {
            o += g
            offsets.push(o)
            t.add(o)
          }
          const done = new Set<number>()
          let committed = 0
          for (const p of picks) {
            const offset = offsets[p % offsets.length] as number
            t.complete(offset)
            done.add(offset)
            const prefix = t.takeDonePrefix()
            if (prefix !== undefined) committed = prefix.commitOffset
            const firstUndone = offsets.find((x) => !done.has(x))
            expect(t.commitOffset()).toBe(firstUndone ?? (offsets.at(-1) as number) + 1)
            if (prefix !== undefined) expect(committed).toBe(t.commitOffset())
            // nothing below the committed offset is still held
            expect(t.size).toBe(offsets.filter((x) => x >= committed).length)
          }
          expect(t.pending).toBe(offsets.length - done.size)
        }
      ),
      { numRuns: 50 }
    )
  })

  it("moves the commit past skipped offsets (transaction markers) only once the records before are done", () => {
    const t = new OffsetTracker(10)
    t.add(10)
    t.add(11)
    t.skipThrough(12) // the commit marker after records 10 and 11
    expect(t.commitOffset()).toBe(10)
    t.complete(11)
    expect(t.commitOffset()).toBe(10)
    t.complete(10)
    expect(t.commitOffset()).toBe(13)
    expect(t.takeDonePrefix()?.commitOffset).toBe(13)
    // a skip below what was added changes nothing; the next record is still taken
    t.skipThrough(5)
    expect(t.add(13)).toBe(true)
    expect(t.add(12)).toBe(false)
  })
})
