/**
 * The input records every scenario uses: a webhook event as `hookstream ingress` writes it
 * (envelope with id, received_at, the original HTTP headers, a ~250-byte JSON order), keyed
 * over `keys` distinct keys. The produce time is the record's CreateTime and also travels in
 * `x-correlation-id`, which hookstream copies onto every outcome record (and the baselines
 * pass on), so latency is read off the outcome alone.
 */
import type { Message } from "kafkajs"
import { CORRELATION_ID } from "../../src/domain/KafkaHeaders.ts"

const customerName = "n".repeat(200)

export const benchEventValue = (seq: number, producedAt: number): string =>
  JSON.stringify({
    webhook_id: "bench",
    id: `evt-${seq}`,
    received_at: new Date(producedAt).toISOString(),
    headers: { "content-type": "application/json", "user-agent": "bench/1.0" },
    payload: { order_id: seq, customer: { id: `c${seq % 1_000}`, name: customerName }, items: [{ sku: "s", qty: 1 }] }
  })

export const benchMessage = (seq: number, producedAt: number, keys: number): Message => ({
  key: `k${seq % keys}`,
  value: benchEventValue(seq, producedAt),
  timestamp: String(producedAt),
  headers: { [CORRELATION_ID]: String(producedAt) }
})

/** bytes of a typical value, for the broker's own perf tools (same record size) */
export const benchRecordBytes = Buffer.byteLength(benchEventValue(123_456, Date.now()))
