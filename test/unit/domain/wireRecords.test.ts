import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { DeadLetterRecord, deadLetterHeaders } from "../../../src/domain/DeadLetterRecord.ts"
import { ResultRecord } from "../../../src/domain/ResultRecord.ts"
import { reportingParseOptions } from "../../../src/domain/SchemaIssues.ts"

const source = { topic: "webhooks", partition: 3, offset: "1042" }
const result = {
  schema: "hookstream.result/v1",
  event_id: "webhooks-3-1042",
  webhook_id: "orders",
  status: "partial",
  modules: [
    { id: "store", module: "postgresql", connection: "main_db", status: "succeeded", attempts: 1, duration_ms: 12.5 },
    {
      id: "notify-crm",
      module: "http",
      status: "failed",
      attempts: 4,
      duration_ms: 5012,
      error: { tag: "DestinationError", reason: "unavailable", retryable: true, message: "HTTP 503 from the endpoint" }
    }
  ],
  started_at: "2026-01-31T12:00:00.000Z",
  finished_at: "2026-01-31T12:00:05.100Z",
  duration_ms: 5100,
  source,
  replay_count: 0
}
const decode = <A>(schema: Schema.Decoder<A>, value: unknown) =>
  Schema.decodeUnknownResult(schema)(value, { errors: "all" })

describe("result record", () => {
  it("decodes the documented shape", () => {
    expect(Result.isSuccess(decode(ResultRecord, result))).toBe(true)
  })

  it("rejects an unknown status, a wrong schema id and local timestamps", () => {
    for (const broken of [
      { ...result, status: "ok" },
      { ...result, schema: "hookstream.result/v2" },
      { ...result, started_at: "2026-01-31 12:00" },
      { ...result, modules: [{ ...result.modules[0], status: "done" }] },
      { ...result, source: { ...source, offset: 1042 } }
    ]) {
      expect(Result.isFailure(decode(ResultRecord, broken))).toBe(true)
    }
  })

  it("tolerates fields added later (consumers must)", () => {
    expect(Result.isSuccess(decode(ResultRecord, { ...result, new_field: 1 }))).toBe(true)
  })
})

describe("dead-letter record", () => {
  const dlq = {
    schema: "hookstream.dlq/v1",
    reason: "chain_failed",
    event: { webhook_id: "orders", payload: { order_id: 7 }, id: "evt-7" },
    failed_modules: ["notify-crm"],
    result,
    source,
    replay_count: 2,
    failed_at: "2026-01-31T12:00:05.100Z",
    event_id: "evt-7",
    webhook_id: "orders"
  }

  it("carries the original envelope, or the raw bytes when they could not be decoded", () => {
    expect(Result.isSuccess(decode(DeadLetterRecord, dlq))).toBe(true)
    const { result: _result, ...withoutResult } = dlq
    const raw = {
      ...withoutResult,
      reason: "invalid_event",
      event: { raw: "bm90IGpzb24=" },
      failed_modules: [],
      error: { tag: "InvalidEvent", reason: "invalid_event", retryable: false, message: "not JSON" }
    }
    expect(Result.isSuccess(decode(DeadLetterRecord, raw))).toBe(true)
    expect(Result.isFailure(decode(DeadLetterRecord, { ...dlq, reason: "crashed" }))).toBe(true)
  })

  it("builds the filtering headers from the record", () => {
    expect(deadLetterHeaders(dlq as DeadLetterRecord)).toEqual({
      "hookstream-dlq-reason": "chain_failed",
      "hookstream-webhook-id": "orders",
      "hookstream-source-topic": "webhooks",
      "hookstream-source-partition": "3",
      "hookstream-source-offset": "1042",
      "hookstream-replay-count": "2"
    })
    const unknownWebhook = { ...dlq, reason: "invalid_event", event: { raw: "eA==" } } as DeadLetterRecord
    const { webhook_id: _, ...withoutId } = unknownWebhook
    expect(deadLetterHeaders(withoutId as DeadLetterRecord)["hookstream-webhook-id"]).toBeUndefined()
  })

  it("is strictly typed at the top level when decoded strictly", () => {
    const strict = Schema.decodeUnknownResult(DeadLetterRecord)({ ...dlq, extra: 1 }, reportingParseOptions)
    expect(Result.isFailure(strict)).toBe(true)
  })
})
