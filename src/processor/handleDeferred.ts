/**
 * The deferred path: one deferred record → the rest of its event's chain, then the event's one
 * result record (+ dead letter), exactly as if the chain had run in one go: same event id, same
 * source, the modules that ran before the hand-off merged in chain order, `started_at` when the
 * chain first started.
 *
 * Before it runs, a record waits for the order gate (InputProgress: the input group committed
 * past its event) and for its `not_before` (an open circuit's next probe). Its steps then wait
 * for their destinations (congestion `wait`): the deferred path drains at each destination's
 * pace, and a deferred partition whose records all wait stops fetching without holding up the
 * others (see the processor's `pause` backpressure).
 */
import { Effect, Schema } from "effect"
import { DeferredRecord } from "../domain/DeferredRecord.ts"
import * as H from "../domain/KafkaHeaders.ts"
import type { InputRecord } from "../kafka/InputRecord.ts"
import type { OutputRecord, RecordMeta } from "../outcomes/records.ts"
import type { DeferralLedger } from "./DeferralLedger.ts"
import type { DeferredBacklog } from "./DeferredBacklog.ts"
import { decodeProblem, eventView, recordMeta, refusal, rejectEvent } from "./EventView.ts"
import { type HandlerContext, onLease } from "./HandlerContext.ts"
import type { InputProgress } from "./InputProgress.ts"
import { runEvent } from "./runEvent.ts"

export interface DeferredPathContext extends Omit<HandlerContext, "deferral"> {
  /** the input topic, whose group's progress gates deferred records */
  readonly inputTopic: string
  readonly progress: InputProgress
  readonly backlog: DeferredBacklog
  /** this process's input path's deferral marks: told when a deferred event is finished */
  readonly ledger?: DeferralLedger
}

/** The records, the first told when Kafka has them: the ledger may then free the (stream, key) at once. */
const telling = (records: ReadonlyArray<OutputRecord>, onDurable: () => void): ReadonlyArray<OutputRecord> => {
  const [first, ...rest] = records
  return first === undefined ? records : [{ ...first, onDurable }, ...rest]
}

const decodeDeferred = Schema.decodeUnknownExit(DeferredRecord)

const rawOf = (record: InputRecord) => ({ raw: record.value === null ? "" : record.value.toString("base64") })

/** The meta of the event the deferred record carries: its input source and key, the record's trace headers. */
const originalMeta = (record: InputRecord, deferred: DeferredRecord): RecordMeta => {
  const h = record.headers
  return {
    source: deferred.source,
    key: deferred.key === undefined ? null : Buffer.from(deferred.key, "base64"),
    replayCount: deferred.replay_count,
    ...(h[H.TRACEPARENT] === undefined ? {} : { traceparent: h[H.TRACEPARENT] }),
    ...(h[H.TRACESTATE] === undefined ? {} : { tracestate: h[H.TRACESTATE] }),
    ...(h[H.CORRELATION_ID] === undefined ? {} : { correlationId: h[H.CORRELATION_ID] })
  }
}

/** The lane of a deferred record: its event's key (the header), not the record's (its webhook id). */
export const deferredLaneKey = (record: InputRecord): string | undefined => {
  const key = record.headers[H.ORIGINAL_KEY]
  const webhookId = record.key === null ? "" : record.key.toString("latin1")
  return key === undefined ? undefined : `${webhookId}\u0000${key}`
}

export const handleDeferred = (
  ctx: DeferredPathContext,
  record: InputRecord
): Effect.Effect<ReadonlyArray<OutputRecord>> =>
  Effect.withFiber((fiber) => {
    let parsed: unknown
    try {
      parsed = record.value === null ? undefined : JSON.parse(record.value.toString("utf8"))
    } catch {
      parsed = undefined
    }
    const decoded = decodeDeferred(parsed)
    if (decoded._tag === "Failure") {
      // not written by hookstream (or by a newer one): kept, with why, for an operator
      const detail = decodeProblem(decoded.cause)
      const view = eventView(fiber, recordMeta(record))
      return rejectEvent(
        ctx,
        view,
        "invalid_event",
        refusal("schema", `not a deferred record: ${detail}`),
        rawOf(record)
      )
    }
    const deferred = decoded.value
    const ledger = ctx.ledger
    const key = deferred.key
    const finish =
      ledger === undefined || key === undefined
        ? (records: ReadonlyArray<OutputRecord>) => records
        : (records: ReadonlyArray<OutputRecord>) =>
            telling(records, () =>
              ledger.finished(deferred.webhook_id, Buffer.from(key, "base64").toString("latin1"), deferred.event_id)
            )
    const view = eventView(fiber, originalMeta(record, deferred))
    const ids = { eventId: deferred.event_id, webhookId: deferred.webhook_id }
    const { source } = deferred
    const gate =
      source.topic === ctx.inputTopic ? ctx.progress.passed(source.partition, Number(source.offset)) : Effect.void
    const notBefore = Date.parse(deferred.not_before)
    const release = ctx.backlog.hold(deferred.destinations, Date.parse(deferred.deferred_at))
    // the stream is looked up when the chain can run, not before its wait: a reload meanwhile
    // gives it the config of that moment, as for any event that starts then
    const run = Effect.suspend(() => {
      const stream = ctx.streams.get(deferred.webhook_id)
      if (stream === undefined) {
        const message = `no stream has webhook_id '${deferred.webhook_id}' (it was removed after the event was deferred)`
        return rejectEvent(ctx, view, "unknown_webhook", refusal("unknown_webhook", message), deferred.event, ids)
      }
      const known = new Set(stream.chain.plan.modules.map((m) => m.id))
      const onlyModules = new Set(deferred.remaining.filter((id) => known.has(id)))
      if (onlyModules.size === 0) {
        const message = `the deferred modules ${deferred.remaining.join(",")} are no longer in stream '${deferred.webhook_id}'`
        return rejectEvent(ctx, view, "invalid_event", refusal("unknown_modules", message), deferred.event, ids)
      }
      const gone = deferred.remaining.filter((id) => !known.has(id))
      const chain = runEvent(ctx, view, {
        event: deferred.event,
        ids,
        stream,
        onlyModules,
        prior: deferred.prior,
        startedAt: Date.parse(deferred.started_at)
      })
      // a reload removed some of the steps it was deferred for: said, not skipped silently
      const told =
        gone.length === 0
          ? chain
          : Effect.andThen(
              Effect.logWarning("deferred steps no longer in the stream (removed by a reload) are not run", {
                webhook_id: deferred.webhook_id,
                event_id: deferred.event_id,
                modules: gone
              }),
              chain
            )
      return onLease(stream, told)
    })
    return gate.pipe(
      Effect.andThen(Effect.suspend(() => Effect.sleep(Math.max(0, notBefore - ctx.now())))),
      Effect.andThen(run),
      Effect.map(finish),
      Effect.ensuring(Effect.sync(release))
    )
  })
