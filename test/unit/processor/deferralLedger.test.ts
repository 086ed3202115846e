import { describe, expect, it } from "vitest"
import { DeferralLedger } from "../../../src/processor/DeferralLedger.ts"

const ledger = () => new DeferralLedger((webhookId) => (webhookId === "a" ? 0 : 1))

describe("DeferralLedger", () => {
  it("a pair is marked from its deferral until the deferred group commits past its record", () => {
    const l = ledger()
    const mark = l.add("a", "k1")
    expect(l.has("a", "k1")).toBe(true)
    expect(l.has("a", "k2")).toBe(false)
    expect(l.has("b", "k1")).toBe(false)
    // not durable yet: a settle reads end offsets that may not include it
    l.settle(l.unbounded(), new Map([[0, 10]]), new Map([[0, 10]]))
    expect(l.has("a", "k1")).toBe(true)
    mark.durable = true
    const pending = l.unbounded()
    expect(pending).toEqual([mark])
    // bounded by the end offset read after the ack; committed is short of it
    l.settle(pending, new Map([[0, 12]]), new Map([[0, 11]]))
    expect(mark.bound).toBe(12)
    expect(l.has("a", "k1")).toBe(true)
    l.settle(l.unbounded(), new Map([[0, 15]]), new Map([[0, 12]]))
    expect(l.has("a", "k1")).toBe(false)
    expect(l.size).toBe(0)
  })

  it("the end offset of the pair's own partition bounds it, not another partition's", () => {
    const l = ledger()
    const mark = l.add("b", "k")
    mark.durable = true
    l.settle(
      l.unbounded(),
      new Map([
        [0, 100],
        [1, 5]
      ]),
      new Map([
        [0, 100],
        [1, 4]
      ])
    )
    expect(l.has("b", "k")).toBe(true)
    l.settle(l.unbounded(), new Map([[1, 9]]), new Map([[1, 5]]))
    expect(l.has("b", "k")).toBe(false)
  })

  it("a newer deferral of the pair replaces the older mark", () => {
    const l = ledger()
    const older = l.add("a", "k")
    older.durable = true
    l.settle(l.unbounded(), new Map([[0, 5]]), new Map())
    const newer = l.add("a", "k")
    // the older bound passing does not clear the pair: the newer is not durable yet
    l.settle(l.unbounded(), new Map([[0, 5]]), new Map([[0, 5]]))
    expect(l.has("a", "k")).toBe(true)
    newer.durable = true
    l.settle(l.unbounded(), new Map([[0, 8]]), new Map([[0, 8]]))
    expect(l.has("a", "k")).toBe(false)
  })

  it("restored marks (found on the topic) keep the latest record of the pair", () => {
    const l = ledger()
    l.restore("a", "k", 0, 7)
    l.restore("a", "k", 0, 3)
    l.settle([], new Map(), new Map([[0, 6]]))
    expect(l.has("a", "k")).toBe(true)
    l.settle([], new Map(), new Map([[0, 8]]))
    expect(l.has("a", "k")).toBe(false)
  })
})
