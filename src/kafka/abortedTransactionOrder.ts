/**
 * KafkaJS 2.2.4's read_committed filter (consumer/filterAbortedMessages.js) walks a fetch's
 * aborted transactions as if sorted by first offset: it enters the next one only when a
 * record reaches *its* first offset. The broker lists them in the order they were aborted
 * (the partition's .txnindex), which differs as soon as two transactional producers
 * interleave on a partition and the later-begun transaction aborts first: the earlier one's
 * records then pass as committed. Seen in the full-size rolling_restart (exactly-once, the
 * input and deferred loops both writing results): results-0's .txnindex held producer 2000
 * (first offset 191) before producer 1000 (first offset 165), and offsets 165-189 of
 * producer 1000's aborted transaction were read as 103 duplicate outcomes. The deferred
 * topic and the DLQ are read the same way by hookstream itself.
 *
 * The Java consumer keeps them in a priority queue by first offset. Here every fetch
 * response is sorted that way before KafkaJS builds its batches: a patch of KafkaJS's Broker
 * (the module instance KafkaJS itself loaded), installed once by makeKafka.
 */
import { createRequire } from "node:module"

interface AbortedTransaction {
  readonly producerId: string
  readonly firstOffset: string
}

interface FetchResponse {
  readonly responses?: ReadonlyArray<{
    readonly partitions?: ReadonlyArray<{ abortedTransactions?: Array<AbortedTransaction> }>
  }>
}

/** Sorts each partition's aborted transactions by first offset, in place. */
export const sortAbortedTransactions = (response: unknown): void => {
  for (const topic of (response as FetchResponse | undefined)?.responses ?? [])
    for (const partition of topic.partitions ?? [])
      partition.abortedTransactions?.sort((a, b) => {
        const x = BigInt(a.firstOffset)
        const y = BigInt(b.firstOffset)
        return x < y ? -1 : x > y ? 1 : 0
      })
}

interface BrokerClass {
  prototype: { fetch: (this: unknown, request: unknown) => Promise<unknown> }
}

let installed = false

/** Makes KafkaJS's Broker hand sorted fetch responses to its consumers (idempotent). */
export const installAbortedTransactionOrder = (): void => {
  if (installed) return
  installed = true
  const Broker = createRequire(import.meta.url)("kafkajs/src/broker/index.js") as BrokerClass
  const fetch = Broker.prototype.fetch
  Broker.prototype.fetch = async function (this: unknown, request: unknown) {
    const response = await fetch.call(this, request)
    sortAbortedTransactions(response)
    return response
  }
}
