/**
 * Hands the part of a chain that cannot run now to the deferred topic (see DeferredRecord):
 * the steps the engine deferred (a congested destination, an open circuit) with every step
 * after them in a sequence, or the whole event when earlier work of its key and stream is
 * already deferred. The record is the input event's durable outcome; the deferred path
 * finishes the chain and publishes its one result.
 */
import { Effect } from "effect"
import { DEFERRED_SCHEMA_ID, type DeferralReason, type DeferredRecord } from "../domain/DeferredRecord.ts"
import type { DeferredRun, ModuleOutcome, StepOutcome } from "../domain/Outcome.ts"
import { toRfc3339 } from "../domain/Timestamp.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import type { BoundChain } from "../engine/BoundChain.ts"
import { deferredOutput, type OutputRecord, type RecordMeta } from "../outcomes/records.ts"
import type { DeferralLedger } from "./DeferralLedger.ts"

/** The input path's deferral: where deferred work goes and which keys already have some. */
export interface DeferralSettings {
  readonly topic: string
  readonly ledger: DeferralLedger
}

export interface DeferInput {
  readonly event: WebhookEvent
  readonly ids: { readonly eventId: string; readonly webhookId: string }
  readonly meta: RecordMeta
  readonly chain: BoundChain
  /** the run that deferred steps; absent when the whole event is deferred without running */
  readonly run?: DeferredRun
  /** why a whole event is deferred (default `key_deferred`) */
  readonly reason?: DeferralReason
  /** module ids the event was to run (a replay's subset, or the whole chain) */
  readonly selected: ReadonlyArray<string>
  /** the input record's key as the lanes compare it (latin1); absent: no key, no order to keep */
  readonly laneKey: string | undefined
  readonly now: number
}

const isModuleOutcome = (m: StepOutcome): m is ModuleOutcome => m.status !== "deferred"

const reasonOf = (run: DeferredRun | undefined, whole: DeferralReason | undefined): DeferralReason => {
  if (run === undefined) return whole ?? "key_deferred"
  for (const m of run.modules) {
    if (m.status === "deferred" && m.error?.reason === "circuit_open") return "circuit_open"
  }
  return "destination_congested"
}

export const deferOutcome = (
  settings: DeferralSettings,
  input: DeferInput
): { readonly records: ReadonlyArray<OutputRecord>; readonly record: DeferredRecord } => {
  const { chain, run, now, ids } = input
  const remaining = run === undefined ? input.selected : run.modules.filter((m) => !isModuleOutcome(m)).map((m) => m.id)
  const prior = run === undefined ? [] : run.modules.filter(isModuleOutcome)
  const steps = chain.steps.filter((s) => remaining.includes(s.plan.id))
  // an open circuit is not worth trying before its next probe
  let notBefore = now
  for (const s of steps) if (s.guard.snapshot().state === "open") notBefore = Math.max(notBefore, s.guard.retryAt(now))
  const record: DeferredRecord = {
    schema: DEFERRED_SCHEMA_ID,
    event_id: ids.eventId,
    webhook_id: ids.webhookId,
    reason: reasonOf(run, input.reason),
    destinations: [...new Set(steps.map((s) => s.plan.guard.key))],
    event: input.event,
    ...(input.meta.key === null ? {} : { key: input.meta.key.toString("base64") }),
    source: input.meta.source,
    replay_count: input.meta.replayCount,
    remaining,
    prior,
    started_at: toRfc3339(run?.startedAt ?? now),
    deferred_at: toRfc3339(now),
    not_before: toRfc3339(notBefore)
  }
  const mark = input.laneKey === undefined ? undefined : settings.ledger.add(ids.webhookId, input.laneKey)
  const onDurable =
    mark === undefined
      ? () => {}
      : () => {
          mark.durable = true
        }
  return { record, records: [deferredOutput(settings.topic, record, input.meta, onDurable)] }
}

/** The log line of a deferral: debug (deferrals are counted per destination in the metrics). */
export const logDeferred = (record: DeferredRecord): Effect.Effect<void> =>
  Effect.logDebug("event deferred", {
    reason: record.reason,
    destinations: record.destinations,
    remaining: record.remaining
  })
