/**
 * Backpressure's pause/resume of a partition at its cap (the deferred path). The consumer may
 * refuse either (KafkaJS throws while it restarts a crashed consumer): that must never reach
 * `done()`, which runs inside an event's settle, and a refused resume is tried again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Backpressure, type PartitionControl } from "../../../src/processor/Backpressure.ts"

const settings = { maxInFlight: 10, perPartition: 4, window: 100, mode: "pause" as const }

/** a consumer control that refuses while `refusing` is set, and records what it did */
const control = () => {
  const calls: Array<string> = []
  let refusing = false
  const port: PartitionControl = {
    pause: (ps) => {
      if (refusing) throw new Error("Consumer group was not initialized")
      calls.push(`pause ${ps.join(",")}`)
    },
    resume: (ps) => {
      if (refusing) throw new Error("Consumer group was not initialized")
      calls.push(`resume ${ps.join(",")}`)
    }
  }
  return { port, calls, refuse: (on: boolean) => (refusing = on) }
}

/** a Backpressure on that control, recording what the consumer refused */
const setup = () => {
  const c = control()
  const failures: Array<string> = []
  const bp = new Backpressure(
    settings,
    () => undefined,
    c.port,
    (call, p) => failures.push(`${call} ${p}`)
  )
  return { c, failures, bp }
}

describe("Backpressure (pause mode)", () => {
  it("a refused resume does not throw from done(); the partition stays paused and resumes on a later wake", () => {
    const { c, failures, bp } = setup()
    for (let i = 0; i < 10; i++) bp.took()
    bp.full(3)
    assert.deepStrictEqual(c.calls, ["pause 3"])
    assert.deepStrictEqual(bp.blocked, [3])

    c.refuse(true)
    assert.doesNotThrow(() => bp.done())
    assert.deepStrictEqual(failures, ["resume 3"])
    assert.deepStrictEqual(bp.blocked, [3])

    c.refuse(false)
    bp.done()
    assert.deepStrictEqual(c.calls, ["pause 3", "resume 3"])
    assert.deepStrictEqual(bp.blocked, [])
    assert.strictEqual(bp.inFlight, 8)
  })

  it("a refused pause leaves the partition unpaused (its rest is fetched again) and does not throw", () => {
    const { c, failures, bp } = setup()
    c.refuse(true)
    assert.doesNotThrow(() => bp.full(1))
    assert.deepStrictEqual(failures, ["pause 1"])
    assert.deepStrictEqual(bp.blocked, [])
    c.refuse(false)
    bp.done()
    // nothing to resume: it was never paused
    assert.deepStrictEqual(c.calls, [])
  })
})
