/**
 * The producer port: what hookstream needs from a Kafka client to write records. Two adapters
 * implement it (kafkajsDriver.ts, platformaticDriver.ts); everything above it (batching, the
 * transaction protocol, fencing, retries of whole batches) is written once, in this folder.
 *
 * A driver is idempotent with acks=all and the Java client's partitioner (a key lands on the
 * same partition whichever client wrote it), settings fixed in producerSettings.ts. Records
 * carry their topic: the port knows no topic of its own. Promises and the client's own errors:
 * callers map them once (toKafkaError, kafkaDestinationError).
 */

export const producerClients = ["kafkajs", "platformatic"] as const
export type ProducerClient = (typeof producerClients)[number]

/** What `--producer-client` defaults to: the client the measurements favour (docs/benchmarks.md). */
export const DEFAULT_PRODUCER_CLIENT: ProducerClient = "platformatic"

export interface ProducerRecord {
  readonly topic: string
  readonly key: Buffer | string | null
  readonly value: Buffer | string
  readonly headers: Readonly<Record<string, string>>
}

/** Where a produce request put a topic's records (`offset`: the first record's, for one partition). */
export interface RecordPosition {
  readonly topic: string
  readonly partition: number
  readonly offset: string | undefined
}

/** The consumer position committed with a transaction (`sendOffsets`): the next offset to read, per partition. */
export interface CommitOffsets {
  readonly groupId: string
  readonly topic: string
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly offset: string }>
}

/** One open transaction of a transactional driver, as the client gives it: no retries or aborts of its own. */
export interface DriverTransaction {
  readonly send: (records: ReadonlyArray<ProducerRecord>) => Promise<void>
  readonly sendOffsets: (offsets: CommitOffsets) => Promise<void>
  readonly commit: () => Promise<void>
  /** resolves at once when the client says the transaction is no longer open */
  readonly abort: () => Promise<void>
}

export interface ProducerDriver {
  readonly client: ProducerClient
  /** opens the connections; rejects when the brokers cannot be reached */
  readonly connect: () => Promise<void>
  readonly disconnect: () => Promise<void>
  /** idempotent, acks=all; the records of one call keep their order within each partition */
  readonly send: (records: ReadonlyArray<ProducerRecord>) => Promise<ReadonlyArray<RecordPosition>>
  /** transactional drivers only (made with a transactional id) */
  readonly begin: () => Promise<DriverTransaction>
  /** whether `DriverTransaction.sendOffsets` is available (consumer offsets in a transaction) */
  readonly transactionalOffsets: boolean
}

export interface DriverOptions {
  /** makes the driver transactional; stable per instance, so a restarted instance fences its zombie */
  readonly transactionalId?: string
  /** ms the broker may take to acknowledge a produce request (default 30 s) */
  readonly ackTimeoutMs?: number
  /** how long the broker lets a transaction stay open before aborting it (default 60 s) */
  readonly transactionTimeoutMs?: number
}
