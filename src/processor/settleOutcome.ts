/**
 * A settled chain → the records that leave hookstream: one result record and, when something
 * needs attention, a dead letter listing the modules to replay. Shared by the input path and
 * the deferred path (which settles the chains the input path handed off).
 */
import { Effect } from "effect"
import { type ChainOutcome, isDone } from "../domain/Outcome.ts"
import { formatTraceparent } from "../domain/TraceContext.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import {
  chainDlqReason,
  deadLetter,
  deadLetterOutput,
  type OutputRecord,
  resultOutput,
  resultRecord
} from "../outcomes/records.ts"
import type { EventView } from "./EventView.ts"
import type { HandlerContext } from "./HandlerContext.ts"

/** What the logs say about a chain that did not fully succeed: which modules, and why. */
const failedModules = (outcome: ChainOutcome) =>
  outcome.modules
    .filter((m) => !isDone(m))
    .map((m) => ({ id: m.id, module: m.module, status: m.status, attempts: m.attempts, error: m.error?.message }))

/** The event a chain ran for (runEvent's DecodedEvent is one). */
export interface SettledEvent {
  readonly event: WebhookEvent
  readonly ids: { readonly eventId: string; readonly webhookId: string }
  /** its stream: the config the chain ran on is written into the result */
  readonly stream: { readonly configVersion?: string }
}

/**
 * The records of `decoded`'s chain `outcome`. They carry the chain span's trace context when
 * one was recorded, else the event's (`view.traceparent`: inbound, or the one started for it),
 * else whatever the input record had.
 */
export const settleOutcome = (
  ctx: HandlerContext,
  view: EventView,
  decoded: SettledEvent,
  outcome: ChainOutcome
): Effect.Effect<ReadonlyArray<OutputRecord>> => {
  const { event, ids } = decoded
  const { meta } = view
  ctx.observer?.chainFinished(ids.webhookId, outcome, ids.eventId)
  const trace = outcome.trace ?? view.eventTrace
  const traceparent =
    outcome.trace !== undefined
      ? formatTraceparent(outcome.trace)
      : view.eventTrace !== undefined
        ? view.traceparent
        : meta.traceparent
  const result = resultRecord(ids.eventId, ids.webhookId, outcome, meta, trace?.traceId, decoded.stream.configVersion)
  const out = resultOutput(ctx.topics, result, meta, traceparent)
  const reason = chainDlqReason(outcome)
  if (reason === undefined && !view.debug) return Effect.succeed([out])
  const traceField = trace === undefined ? {} : { trace_id: trace.traceId }
  const durationMs = outcome.finishedAt - outcome.startedAt
  if (reason === undefined) {
    return Effect.logDebug("event processed", { status: outcome.status, duration_ms: durationMs }).pipe(
      Effect.annotateLogs(traceField),
      Effect.as([out])
    )
  }
  ctx.observer?.deadLettered(reason)
  const m = traceparent === undefined || traceparent === meta.traceparent ? meta : { ...meta, traceparent }
  const dlq = deadLetter({ reason, event, meta: m, failedAt: outcome.finishedAt, result, ...ids })
  return Effect.logWarning("event dead-lettered", {
    reason,
    status: outcome.status,
    duration_ms: durationMs,
    failed_modules: failedModules(outcome)
  }).pipe(Effect.annotateLogs(traceField), Effect.as([out, deadLetterOutput(ctx.topics, dlq, m, ctx.maxRecordBytes)]))
}
