/**
 * The kafka destination's batching queue, driven by a scripted `sendBatch` (the real broker
 * path is in test/conformance/kafka.test.ts): what waits goes in the next request, an
 * interrupted delivery that has not been sent never is, and a batch failing for a
 * non-transient reason is split so one bad record does not fail its neighbours.
 */
import { Effect, Exit, Fiber, Scope } from "effect"
import { describe, expect, it } from "vitest"
import type { ProducerRecord, RecordPosition } from "../../../../src/kafka/producer/ProducerDriver.ts"
import { makeProduceQueue } from "../../../../src/modules/kafka/ProduceQueue.ts"

interface Call {
  readonly values: Array<string>
  readonly settle: (outcome: Error | undefined) => void
}

const scripted = () => {
  const calls: Array<Call> = []
  const send = (records: ReadonlyArray<ProducerRecord>) =>
    new Promise<ReadonlyArray<RecordPosition>>((resolve, reject) => {
      calls.push({
        values: records.map((r) => String(r.value)),
        settle: (outcome) =>
          outcome === undefined
            ? resolve(records.map((r) => ({ topic: r.topic, partition: 0, offset: "0" })))
            : reject(outcome)
      })
    })
  const scope = Effect.runSync(Scope.make())
  const queue = Effect.runSync(
    Scope.provide(scope)(makeProduceQueue({ ready: async () => undefined, checkTopic: async () => undefined, send }))
  )
  return { calls, queue }
}

const message = (value: string): ProducerRecord => ({ topic: "t", key: null, value, headers: {} })
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe("ProduceQueue", () => {
  it("what arrives while a request is in flight goes in the next one, in order", async () => {
    const { calls, queue } = scripted()
    const first = Effect.runPromiseExit(queue.produce(message("a")))
    await turns()
    const rest = ["b", "c", "d"].map((v) => Effect.runPromiseExit(queue.produce(message(v))))
    await turns()
    expect(calls.map((c) => c.values)).toEqual([["a"]])
    calls[0]?.settle(undefined)
    await turns()
    expect(calls.map((c) => c.values)).toEqual([["a"], ["b", "c", "d"]])
    calls[1]?.settle(undefined)
    for (const exit of [await first, ...(await Promise.all(rest))]) expect(Exit.isSuccess(exit)).toBe(true)
  })

  it("an interrupted delivery still waiting is never sent; one already sent stops being waited for", async () => {
    const { calls, queue } = scripted()
    const inFlight = Effect.runFork(queue.produce(message("a")))
    await turns()
    const waiting = Effect.runFork(queue.produce(message("b")))
    const kept = Effect.runPromiseExit(queue.produce(message("c")))
    await turns()
    await Effect.runPromise(Fiber.interrupt(waiting))
    await Effect.runPromise(Fiber.interrupt(inFlight))
    calls[0]?.settle(undefined)
    await turns()
    expect(calls.map((c) => c.values)).toEqual([["a"], ["c"]])
    calls[1]?.settle(undefined)
    expect(Exit.isSuccess(await kept)).toBe(true)
  })

  it("a batch refused for a non-transient reason is retried record by record", async () => {
    const { calls, queue } = scripted()
    const blocker = Effect.runPromiseExit(queue.produce(message("first")))
    await turns()
    const good = Effect.runPromiseExit(queue.produce(message("good")))
    const bad = Effect.runPromiseExit(queue.produce(message("bad")))
    await turns()
    calls[0]?.settle(undefined)
    await turns()
    const tooLarge = Object.assign(new Error("too large"), { name: "KafkaJSProtocolError", type: "MESSAGE_TOO_LARGE" })
    calls[1]?.settle(tooLarge)
    await turns()
    expect(calls.map((c) => c.values)).toEqual([["first"], ["good", "bad"], ["good"]])
    calls[2]?.settle(undefined)
    await turns()
    calls[3]?.settle(tooLarge)
    expect(Exit.isSuccess(await blocker)).toBe(true)
    expect(Exit.isSuccess(await good)).toBe(true)
    const badExit = await bad
    expect(Exit.isFailure(badExit) && JSON.stringify(badExit.cause)).toContain("invalid_payload")
  })

  it("a transient failure fails the whole batch as retryable, without splitting", async () => {
    const { calls, queue } = scripted()
    const blocker = Effect.runPromiseExit(queue.produce(message("x")))
    await turns()
    const a = Effect.runPromiseExit(queue.produce(message("a")))
    const b = Effect.runPromiseExit(queue.produce(message("b")))
    await turns()
    calls[0]?.settle(undefined)
    await turns()
    calls[1]?.settle(Object.assign(new Error("gone"), { name: "KafkaJSConnectionError" }))
    await blocker
    for (const exit of [await a, await b])
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("unreachable")
    expect(calls).toHaveLength(2)
  })

  it("closing fails what waits, and later produces at once", async () => {
    const { calls, queue } = scripted()
    void Effect.runPromiseExit(queue.produce(message("a")))
    await turns()
    const waiting = Effect.runPromiseExit(queue.produce(message("b")))
    queue.close()
    expect(Exit.isFailure(await waiting)).toBe(true)
    expect(Exit.isFailure(await Effect.runPromiseExit(queue.produce(message("c"))))).toBe(true)
    expect(calls).toHaveLength(1)
  })
})
