/**
 * What handling a record needs: the streams, the engine, where outcomes go, and who is told.
 */
import { Effect } from "effect"
import type { DlqReason } from "../domain/DeadLetterRecord.ts"
import type { DeferralReason } from "../domain/DeferredRecord.ts"
import type { ChainOutcome } from "../domain/Outcome.ts"
import type { PayloadContract } from "../domain/PayloadContract.ts"
import type { Redactor } from "../domain/redact.ts"
import type { BoundChain } from "../engine/BoundChain.ts"
import type { ChainEngine } from "../engine/ChainEngine.ts"
import type { OutcomeTopics } from "../outcomes/records.ts"
import type { DeferralSettings } from "./deferOutcome.ts"

/**
 * The config a chain runs on, held for as long as it runs: a reload retires a config only
 * after every chain that started on it has let go (LiveStreams.ts). Let go of as the chain's
 * records pass by, not in a finalizer: a finalizer per event costs ~500 bytes of allocation
 * (`npm run bench:handler`), and a chain that ends otherwise (interrupted by a rebalance or a
 * shutdown) is covered by the retirement's drain timeout.
 */
export interface StreamLease {
  readonly enter: () => void
  /** the chain's records pass through it as it ends (one function for all events: nothing allocated per event) */
  readonly leaving: <A>(records: A) => A
}

/** `run` holding `stream`'s config lease (entered now, left as its records pass), when it has one. */
export const onLease = <A>(stream: RunnableStream, run: Effect.Effect<A>): Effect.Effect<A> => {
  const lease = stream.lease
  if (lease === undefined) return run
  lease.enter()
  return Effect.map(run, lease.leaving)
}

/** A stream ready to run: its bound chain and the limits applied before it runs. */
export interface RunnableStream {
  readonly chain: BoundChain
  /** the version of the config it was bound from (configVersion.ts), written into its result records */
  readonly configVersion?: string
  readonly lease?: StreamLease
  readonly maxPayloadBytes: number
  /** set when the stream asks for the payload to be redacted before modules see it */
  readonly payloadRedactor?: Redactor
  /** the stream's payload_schema: an event whose payload does not match is dead-lettered (invalid_payload) */
  readonly payloadContract?: PayloadContract
}

/** What the handler reports as it decides an event's fate (the processor's metrics). */
export interface HandlerObserver {
  /** called synchronously on the event's fiber: an observer must never wait (the console's tap only counts) */
  readonly chainFinished: (webhookId: string, outcome: ChainOutcome, eventId: string) => void
  readonly deadLettered: (reason: DlqReason) => void
  /** the event, or the rest of its chain, went to the deferred path */
  readonly deferred?: (webhookId: string, reason: DeferralReason, destinations: ReadonlyArray<string>) => void
}

/** The streams by webhook id: a Map, or the live table a reload swaps (LiveStreams.ts). */
export interface StreamTable {
  get(webhookId: string): RunnableStream | undefined
  values(): Iterable<RunnableStream>
}

export interface HandlerContext {
  readonly streams: StreamTable
  readonly engine: ChainEngine["Service"]
  readonly topics: OutcomeTopics
  readonly now: () => number
  readonly observer?: HandlerObserver
  /** the DLQ topic's record limit (default Kafka's 1 MB): a dead letter over it is kept without its event */
  readonly maxRecordBytes?: number
  /** the input path hands congested work to the deferred topic (absent: it waits in memory) */
  readonly deferral?: DeferralSettings
}
