/**
 * A settled chain → the records that leave hookstream: one result record and, when something
 * needs attention, a dead letter listing the modules to replay. Shared by the input path and
 * the deferred path (which settles the chains the input path handed off).
 */
import { Effect } from "effect"
import { type ChainOutcome, isDone } from "../domain/Outcome.ts"
import type { TraceContext } from "../domain/TraceContext.ts"
import { formatTraceparent } from "../domain/TraceContext.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import {
  chainDlqReason,
  deadLetter,
  deadLetterOutput,
  type OutputRecord,
  type RecordMeta,
  resultOutput,
  resultRecord
} from "../outcomes/records.ts"
import type { HandlerContext } from "./HandlerContext.ts"

export const withTrace = (meta: RecordMeta, trace: TraceContext): RecordMeta => ({
  ...meta,
  traceparent: formatTraceparent(trace)
})

/** What the logs say about a chain that did not fully succeed: which modules, and why. */
const failedModules = (outcome: ChainOutcome) =>
  outcome.modules
    .filter((m) => !isDone(m))
    .map((m) => ({ id: m.id, module: m.module, status: m.status, attempts: m.attempts, error: m.error?.message }))

export interface SettleInput {
  readonly event: WebhookEvent
  readonly ids: { readonly eventId: string; readonly webhookId: string }
  readonly meta: RecordMeta
  readonly outcome: ChainOutcome
  /** the event's trace context before the chain (inbound, or one started for it) */
  readonly eventTrace: TraceContext | undefined
  /** the event came with its own trace context */
  readonly inbound: boolean
  /** log at debug level for every event */
  readonly debug: boolean
  /** the config the chain ran on */
  readonly configVersion: string | undefined
}

export const settleOutcome = (ctx: HandlerContext, input: SettleInput): Effect.Effect<ReadonlyArray<OutputRecord>> => {
  const { event, ids, meta, outcome, eventTrace } = input
  ctx.observer?.chainFinished(ids.webhookId, outcome, ids.eventId)
  // the records continue the chain's span when one was recorded
  const trace = outcome.trace ?? eventTrace
  const m = trace === undefined || (outcome.trace === undefined && input.inbound) ? meta : withTrace(meta, trace)
  const result = resultRecord(ids.eventId, ids.webhookId, outcome, m, trace?.traceId, input.configVersion)
  const out = resultOutput(ctx.topics, result, m)
  const reason = chainDlqReason(outcome)
  if (reason === undefined && !input.debug) return Effect.succeed([out])
  const traceField = trace === undefined ? {} : { trace_id: trace.traceId }
  const durationMs = outcome.finishedAt - outcome.startedAt
  if (reason === undefined) {
    return Effect.logDebug("event processed", { status: outcome.status, duration_ms: durationMs }).pipe(
      Effect.annotateLogs(traceField),
      Effect.as([out])
    )
  }
  ctx.observer?.deadLettered(reason)
  const dlq = deadLetter({ reason, event, meta: m, failedAt: outcome.finishedAt, result, ...ids })
  return Effect.logWarning("event dead-lettered", {
    reason,
    status: outcome.status,
    duration_ms: durationMs,
    failed_modules: failedModules(outcome)
  }).pipe(Effect.annotateLogs(traceField), Effect.as([out, deadLetterOutput(ctx.topics, dlq, m, ctx.maxRecordBytes)]))
}
