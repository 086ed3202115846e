/**
 * The settings every producer of hookstream runs with, for both clients, written once:
 * - idempotent, acks=all, one request in flight per broker: the broker drops the producer's
 *   own retries and they cannot reorder, so a record is acknowledged only once it is on every
 *   in-sync replica;
 * - retries without limit, inside the client: an idempotent producer that gives up mid-sequence
 *   and is sent again from outside can make the broker take the next record for a duplicate of
 *   the lost one (KafkaJS warns "Limiting retries for the idempotent producer may invalidate EoS
 *   guarantees" for any finite count). Callers bound their wait with their own timeouts;
 * - the first retry after 5 ms, doubling to 2 s: a transaction begun right after the previous
 *   one committed meets CONCURRENT_TRANSACTIONS until the commit markers are written; with
 *   KafkaJS's default 300 ms that cost ~260 ms per transaction, with 5 ms ~4 ms (p50, 10
 *   records, local broker: the ingress's measurement);
 * - the Java client's partitioner (murmur2 of the key, positive, modulo the partition count): a
 *   key lands on the partition every other client of the topic puts it on;
 * - no compression: records are small JSON and the broker is near; CPU is the scarce resource.
 */
import type { ProducerConfig } from "kafkajs"
import { Partitioners } from "kafkajs"

export const FIRST_RETRY_MS = 5
export const MAX_RETRY_MS = 2_000
export const ACK_TIMEOUT_MS = 30_000
export const TRANSACTION_TIMEOUT_MS = 60_000

/** The delay before retry `attempt` (1-based): 5, 10, 20 … ms, at most 2 s. */
export const retryDelayMs = (attempt: number): number =>
  Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(30, Math.max(0, attempt - 1)))

export interface ProducerSettingsOptions {
  readonly transactionalId?: string
  readonly transactionTimeoutMs?: number
}

/** KafkaJS's producer config. `retry` replaces the client's (finite) retry settings rather than merging with them. */
export const kafkajsProducerConfig = (options: ProducerSettingsOptions): ProducerConfig => ({
  idempotent: true,
  maxInFlightRequests: 1,
  retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: FIRST_RETRY_MS, maxRetryTime: MAX_RETRY_MS },
  createPartitioner: Partitioners.DefaultPartitioner,
  ...(options.transactionalId === undefined
    ? {}
    : {
        transactionalId: options.transactionalId,
        transactionTimeout: options.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS
      })
})
