/** What the processor is started with, and what a running one tells. */
import type { Effect } from "effect"
import type { KafkaError } from "../kafka/KafkaError.ts"
import type { ProducerClient } from "../kafka/producer/ProducerDriver.ts"
import type { OutcomeTopics } from "../outcomes/records.ts"
import type { ProcessorMetrics } from "./ProcessorMetrics.ts"

export interface ProcessorOptions {
  readonly groupId: string
  readonly inputTopic: string
  readonly topics: OutcomeTopics
  readonly maxInFlight: number
  readonly maxInFlightPerPartition: number
  readonly shutdownTimeoutMs: number
  readonly exactlyOnce: boolean
  /** how often durable progress is committed (exactly-once: how often a transaction closes) */
  readonly commitIntervalMs: number
  /** exactly-once: identifies this instance's transactional producer across restarts */
  readonly instanceId: string
  readonly sessionTimeoutMs?: number
  /** the outcome topics' record limit; default: read from the broker (Kafka's 1 MB if it will not say) */
  readonly maxRecordBytes?: number
  /** the client writing at-least-once outcomes (exactly-once transactions are KafkaJS's); default platformatic */
  readonly producerClient?: ProducerClient
  /** default: the process's collectors in the shared registry (served on the ops port) */
  readonly metrics?: ProcessorMetrics
  /**
   * Where work goes that cannot run now (a congested destination, an open circuit), and the
   * group that drains it. Absent: such work waits in memory (a slow destination can then take
   * every in-flight slot).
   */
  readonly deferred?: { readonly topic: string; readonly groupId: string }
}

export interface ProcessorStatus {
  readonly assigned: ReadonlyArray<number>
  readonly inFlight: number
  /** partitions whose fetch waits for room under an in-flight cap */
  readonly paused: ReadonlyArray<number>
  readonly processed: number
  readonly commits: number
  /** the group assigned partitions at least once */
  readonly ready: boolean
  /** shutting down: fetching stopped, draining */
  readonly draining: boolean
  /** `undefined` while it serves (partitions assigned or waiting for them), else why not (for /readyz) */
  readonly problem: string | undefined
  /** the deferred path's own figures, when it runs */
  readonly deferred?: {
    readonly assigned: ReadonlyArray<number>
    readonly inFlight: number
    readonly paused: ReadonlyArray<number>
    readonly processed: number
  }
}

export interface RunningProcessor {
  readonly status: () => ProcessorStatus
  /**
   * The offset below which every record of `partition` this instance took has its durable
   * outcome (what its next commit can reach); undefined when it does not own the partition.
   */
  readonly durableThrough: (partition: number) => number | undefined
  /** resolves when the processor failed for good (the consumer crashed without restart) */
  readonly failed: Effect.Effect<never, KafkaError | Error>
}
