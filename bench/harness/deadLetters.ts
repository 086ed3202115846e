/**
 * Dead letters for the DLQ benches, built with the processor's own record builders: a
 * two-step chain (`store` succeeded, `notify` failed) on ~400-byte payloads, as a record the
 * producer can send. `vary` picks webhook, reason, failed modules and error per record, so
 * filters have something to select.
 */
import type { DlqReason } from "../../src/domain/DeadLetterRecord.ts"
import type { ModuleOutcome } from "../../src/domain/Outcome.ts"
import { deadLetter, deadLetterOutput, resultRecord } from "../../src/outcomes/records.ts"

export interface LetterShape {
  readonly webhook: string
  readonly reason: DlqReason
  /** the modules that failed (one or more of notify, audit) */
  readonly failed: ReadonlyArray<string>
  readonly error: string
  readonly replayCount: number
}

export const DEFAULT_SHAPE: LetterShape = {
  webhook: "bench",
  reason: "chain_failed",
  failed: ["notify"],
  error: "HTTP 503",
  replayCount: 0
}

const payload = { order_id: 0, customer: { id: "c", name: "n".repeat(200) }, items: [{ sku: "s", qty: 1 }] }

export const benchDeadLetter = (
  topics: { readonly input: string; readonly dlq: string },
  seq: number,
  failedAt: number,
  shape: LetterShape = DEFAULT_SHAPE
): { key: Buffer | null; value: string; headers: Record<string, string> } => {
  const meta = {
    source: { topic: topics.input, partition: seq % 6, offset: String(seq) },
    key: Buffer.from(`k${seq % 10_000}`),
    replayCount: shape.replayCount
  }
  const eventId = `${topics.input}-${seq % 6}-${seq}`
  const modules: Array<ModuleOutcome> = [
    { id: "store", module: "log", status: "succeeded", attempts: 1, duration_ms: 1 },
    ...shape.failed.map(
      (id): ModuleOutcome => ({
        id,
        module: "http",
        status: "failed",
        attempts: 3,
        duration_ms: 3,
        error: { tag: "DestinationError", reason: "unavailable", retryable: true, message: shape.error }
      })
    )
  ]
  const chain = shape.reason === "chain_failed" || shape.reason === "timed_out"
  const result = chain
    ? resultRecord(
        eventId,
        shape.webhook,
        { status: "partial", startedAt: failedAt - 5, finishedAt: failedAt, modules },
        meta
      )
    : undefined
  const record = deadLetter({
    reason: shape.reason,
    event: { webhook_id: shape.webhook, payload: { ...payload, order_id: seq } },
    meta,
    failedAt,
    ...(result === undefined
      ? { error: { tag: "InvalidEvent", reason: shape.reason, retryable: false, message: shape.error } }
      : { result }),
    eventId,
    webhookId: shape.webhook
  })
  const out = deadLetterOutput({ results: "r", dlq: topics.dlq }, record, meta)
  return { key: out.key, value: out.value, headers: { ...out.headers } }
}
