/**
 * Runs a decoded event's chain and turns the run into its records: a result (+ dead letter),
 * or, on the input path, a deferred record for what could not run now. Shared by the input
 * path (handleRecord) and the deferred path (handleDeferred).
 */
import { Effect } from "effect"
import type { ChainOutcome, ChainRun, ModuleOutcome } from "../domain/Outcome.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import type { DeferrableInput } from "../engine/BoundChain.ts"
import { chainStatus } from "../engine/runChain.ts"
import { expressionContext } from "../expressions/expressionContext.ts"
import type { OutputRecord } from "../outcomes/records.ts"
import { type DeferInput, type DeferralSettings, deferOutcome, logDeferred } from "./deferOutcome.ts"
import { type EventView, rejectEvent, withLogFields } from "./EventView.ts"
import type { HandlerContext, RunnableStream } from "./HandlerContext.ts"
import { settleOutcome } from "./settleOutcome.ts"

/** Hands the event (or the rest of its chain) to the deferred path. */
const deferred = (ctx: HandlerContext, settings: DeferralSettings, input: DeferInput) => {
  const { record, records } = deferOutcome(settings, input)
  ctx.observer?.deferred?.(record.webhook_id, record.reason, record.destinations)
  return Effect.as(logDeferred(record), records)
}

/** An event that decoded and names a stream: what `runEvent` runs. */
export interface DecodedEvent {
  readonly event: WebhookEvent
  readonly ids: { readonly eventId: string; readonly webhookId: string }
  readonly stream: RunnableStream
  /** replay / deferred path: only these module ids run (chain order kept) */
  readonly onlyModules: ReadonlySet<string> | undefined
  /** deferred path: the outcomes of the modules that ran before the hand-off */
  readonly prior?: ReadonlyArray<ModuleOutcome>
  /** deferred path: when the chain first started (epoch ms) */
  readonly startedAt?: number
  /** input path: an earlier event of the key is held up by something slow; this one follows it */
  readonly behindSlow?: boolean
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

const spanAttributes = (meta: EventView["meta"]): Record<string, string | number | boolean> => {
  const attributes: Record<string, string | number | boolean> = {
    "messaging.system": "kafka",
    "messaging.destination.name": meta.source.topic,
    "messaging.destination.partition.id": String(meta.source.partition),
    "messaging.kafka.offset": Number(meta.source.offset)
  }
  if (meta.correlationId !== undefined) attributes["hookstream.correlation_id"] = meta.correlationId
  return attributes
}

export const runEvent = (
  ctx: HandlerContext,
  view: EventView,
  decoded: DecodedEvent
): Effect.Effect<ReadonlyArray<OutputRecord>> => {
  const { event, ids, stream, onlyModules } = decoded
  const { meta } = view
  const fields = view.fields
  fields["event_id"] = ids.eventId
  fields["webhook_id"] = ids.webhookId
  const deferral = ctx.deferral
  // built field by field: conditional spreads would allocate a temporary object each, per event
  const input: { -readonly [K in keyof DeferrableInput]: DeferrableInput[K] } = {
    eventId: ids.eventId,
    payload: stream.payloadRedactor === undefined ? event.payload : stream.payloadRedactor.redact(event.payload),
    payloadEncoding: event.payload_encoding ?? "json",
    headers: event.headers ?? NO_HEADERS,
    replayCount: meta.replayCount
  }
  if (meta.key !== null) input.key = meta.key.toString("utf8")
  if (event.received_at !== undefined) input.receivedAt = event.received_at
  if (view.traceparent !== undefined) input.traceparent = view.traceparent
  if (onlyModules !== undefined) input.onlyModules = onlyModules
  // the input path hands congested work off rather than holding it (see deferOutcome); the
  // deferred path waits for its destinations, at their pace
  if (deferral !== undefined) input.congestion = "defer"
  else if (decoded.prior !== undefined) input.congestion = "wait"
  if (view.tracing) input.spanAttributes = spanAttributes(meta)
  // the filter decides on the input path (a replay decides again); the deferred path runs what passed
  const filter = stream.chain.plan.filter
  if (filter !== undefined && decoded.prior === undefined) {
    const verdict = filter.test(
      expressionContext({
        payload: input.payload,
        headers: input.headers,
        webhookId: ids.webhookId,
        eventId: ids.eventId,
        key: input.key,
        receivedAt: input.receivedAt,
        replayCount: input.replayCount
      })
    )
    if (verdict === false) {
      const now = ctx.now()
      const filtered: ChainOutcome = { status: "filtered", modules: [], startedAt: now, finishedAt: now }
      return withLogFields(settleOutcome(ctx, view, decoded, filtered), fields)
    }
    if (verdict !== true) {
      const error = { tag: "ExpressionError", reason: verdict.reason, retryable: false, message: verdict.message }
      return rejectEvent(ctx, view, "filter_failed", error, event, ids)
    }
  }
  // while earlier work of this key and stream is deferred, this event follows it there
  const laneKey = deferral === undefined || meta.key === null ? undefined : meta.key.toString("latin1")
  if (
    deferral !== undefined &&
    laneKey !== undefined &&
    (decoded.behindSlow === true || deferral.ledger.has(ids.webhookId, laneKey))
  ) {
    const selected = stream.chain.plan.modules.flatMap((m) =>
      onlyModules === undefined || onlyModules.has(m.id) ? [m.id] : []
    )
    const reason = decoded.behindSlow === true ? ("key_slow" as const) : ("key_deferred" as const)
    const whole = { event, ids, meta, chain: stream.chain, laneKey, selected, now: ctx.now(), reason }
    return withLogFields(deferred(ctx, deferral, whole), fields)
  }
  // data-first calls, not `.pipe(...)`: each curried step is a closure per event
  const settled = Effect.flatMap(ctx.engine.runDeferrable(stream.chain, input), (run) =>
    afterRun(ctx, view, decoded, laneKey, run)
  )
  // every line logged while the chain runs (the log module, retries) names the event
  return withLogFields(settled, fields)
}

/** A run's records: its outcome settled, or (only a run asked to defer defers) the rest handed off. */
const afterRun = (
  ctx: HandlerContext,
  view: EventView,
  decoded: DecodedEvent,
  laneKey: string | undefined,
  run: ChainRun
): Effect.Effect<ReadonlyArray<OutputRecord>> => {
  if (!run.deferred) {
    const prior = decoded.prior
    return settleOutcome(
      ctx,
      view,
      decoded,
      prior === undefined ? run : withPrior(decoded.stream, run, prior, decoded.startedAt)
    )
  }
  const { event, ids, stream } = decoded
  const rest = { event, ids, meta: view.meta, chain: stream.chain, laneKey, run, selected: [], now: run.finishedAt }
  // `deferral` is set whenever a run may defer
  return deferred(ctx, ctx.deferral as DeferralSettings, rest)
}

/** The deferred run's outcome with the modules that ran before the hand-off, in chain order. */
const withPrior = (
  stream: RunnableStream,
  outcome: ChainOutcome,
  prior: ReadonlyArray<ModuleOutcome>,
  startedAt: number | undefined
): ChainOutcome => {
  const byId = new Map<string, ModuleOutcome>()
  for (const m of prior) byId.set(m.id, m)
  for (const m of outcome.modules) byId.set(m.id, m)
  const modules = stream.chain.plan.modules.flatMap((p) => {
    const m = byId.get(p.id)
    return m === undefined ? [] : [m]
  })
  return {
    ...outcome,
    status: outcome.status === "timed_out" ? "timed_out" : chainStatus(modules, false),
    modules,
    startedAt: startedAt ?? outcome.startedAt
  }
}
