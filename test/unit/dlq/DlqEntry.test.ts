/**
 * What `dlq list` (and the console's list) shows as a dead letter's error: the failure that
 * ended the chain, not the siblings it interrupted or the steps it skipped. The chains run on
 * the real engine, and their outcomes become dead letters exactly as the processor builds them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeDlqEntry, summarizeEntry } from "../../../src/dlq/DlqEntry.ts"
import type { ChainOutcome } from "../../../src/domain/Outcome.ts"
import { deadLetter, deadLetterOutput, resultRecord } from "../../../src/outcomes/records.ts"
import { fail, succeed } from "../../../src/streamTests/SimulatedDestination.ts"
import { chain, harness, statuses } from "../engine/fixtures.ts"

const summaryOf = (outcome: ChainOutcome) => {
  const meta = { source: { topic: "in", partition: 0, offset: "7" }, key: null, replayCount: 0 }
  const result = resultRecord("evt-1", "orders", outcome, meta)
  const record = deadLetter({
    reason: "chain_failed",
    event: { webhook_id: "orders", id: "evt-1", payload: {} },
    meta,
    failedAt: outcome.finishedAt,
    result,
    eventId: "evt-1",
    webhookId: "orders"
  })
  const out = deadLetterOutput({ results: "r", dlq: "d" }, record, meta)
  return summarizeEntry(
    decodeDlqEntry({
      topic: "d",
      partition: 0,
      offset: "0",
      key: null,
      value: Buffer.from(out.value),
      headers: out.headers,
      timestamp: outcome.finishedAt
    })
  )
}

describe("a dead letter's error", () => {
  it.effect("parallel fail-fast: the module that failed, not the siblings listed before it that it interrupted", () =>
    Effect.gen(function* () {
      const outcome = yield* harness().run(
        chain("parallel", ["notify-crm", "store", "publish"], { continueOnError: false }),
        {
          "notify-crm": succeed(500),
          store: succeed(500),
          publish: fail(false, { reason: "invalid_payload", delayMs: 10 })
        }
      )
      assert.deepStrictEqual(statuses(outcome), {
        "notify-crm": "interrupted",
        store: "interrupted",
        publish: "failed"
      })
      assert.strictEqual(summaryOf(outcome).error, "publish: simulated failure")
    })
  )

  it.effect("sequential: the failed step, not the steps skipped after it", () =>
    Effect.gen(function* () {
      const outcome = yield* harness().run(chain("sequential", ["a", "b", "c"], { continueOnError: false }), {
        b: fail(false)
      })
      assert.deepStrictEqual(statuses(outcome), { a: "succeeded", b: "failed", c: "skipped" })
      assert.strictEqual(summaryOf(outcome).error, "b: simulated failure")
    })
  )
})
