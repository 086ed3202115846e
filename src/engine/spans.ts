/**
 * The engine's spans, made through Effect's `Tracer` service (never OpenTelemetry directly):
 *
 *   chain <webhook_id>            one per chain run; remote parent = the event's traceparent
 *   └─ module <module id>         one per attempt (a retry is a sibling), kind client
 *
 * Only built when `References.TracerEnabled` is on: with tracing off the engine takes a path
 * with no span code at all, so it costs nothing. Spans are ended here, with the outcome's
 * status as an attribute and an error status whose message is the sanitized error text (the
 * raw cause could carry a credential a driver echoed).
 */
import { Exit, type Tracer } from "effect"
import type { ChainPlan, ModulePlan } from "../domain/ChainPlan.ts"
import { type ChainRun, type ErrorInfo, isDone } from "../domain/Outcome.ts"
import { externalParent, parseTraceparent } from "../domain/TraceContext.ts"
import type { DeferrableInput } from "./BoundChain.ts"

/** spans are named by the engine, so the call site's stack adds nothing (and costs a stack capture) */
export const NO_STACK = { captureStackTrace: false } as const

/** A failure as the span shows it: the tag as the exception type, the sanitized message. */
class SpanError extends Error {
  constructor(name: string, message: string) {
    super(message)
    this.name = name
    // the engine's own stack says nothing about the sink's failure
    this.stack = `${name}: ${message}`
  }
}

export const chainSpanName = (plan: ChainPlan): string => `chain ${plan.webhookId}`

export const chainSpanOptions = (plan: ChainPlan, input: DeferrableInput): Tracer.SpanOptionsNoTrace => {
  const parent = parseTraceparent(input.traceparent)
  const attributes: Record<string, unknown> = {
    "hookstream.webhook_id": plan.webhookId,
    "hookstream.event_id": input.eventId,
    "hookstream.execution": plan.execution,
    ...input.spanAttributes
  }
  // no inbound context: a trace of its own, never a child of whatever span started the processor
  return parent === undefined
    ? { kind: "consumer", root: true, attributes }
    : { kind: "consumer", parent: externalParent(parent), attributes }
}

export const endChainSpan = (span: Tracer.Span, outcome: ChainRun, nowNanos: bigint): void => {
  span.attribute("hookstream.status", outcome.deferred ? "deferred" : outcome.status)
  span.attribute("hookstream.duration_ms", outcome.finishedAt - outcome.startedAt)
  if (outcome.deferred) {
    const deferred = outcome.modules.filter((m) => m.status === "deferred").map((m) => m.id)
    span.attribute("hookstream.deferred_modules", deferred.join(","))
    span.end(nowNanos, Exit.void)
    return
  }
  if (outcome.status === "succeeded") {
    span.end(nowNanos, Exit.void)
    return
  }
  const failed = outcome.modules.filter((m) => !isDone(m)).map((m) => `${m.id} (${m.status})`)
  span.attribute("hookstream.failed_modules", failed.length)
  span.end(nowNanos, Exit.fail(new SpanError("ChainNotSucceeded", `chain ${outcome.status}: ${failed.join(", ")}`)))
}

export const attemptSpanName = (step: ModulePlan): string => `module ${step.id}`

export const attemptSpanOptions = (step: ModulePlan, webhookId: string, attempt: number): Tracer.SpanOptionsNoTrace => {
  const attributes: Record<string, unknown> = {
    "hookstream.webhook_id": webhookId,
    "hookstream.module": step.module,
    "hookstream.module_id": step.id,
    "hookstream.attempt": attempt
  }
  if (step.connection !== undefined) attributes["hookstream.connection"] = step.connection
  return { kind: "client", attributes }
}

export const endAttemptSpan = (span: Tracer.Span, error: ErrorInfo | undefined, nowNanos: bigint): void => {
  if (error === undefined) {
    span.attribute("hookstream.status", "succeeded")
    span.end(nowNanos, Exit.void)
    return
  }
  span.attribute("hookstream.status", error.reason === "timeout" ? "timed_out" : "failed")
  span.attribute("error.type", error.reason)
  span.attribute("hookstream.retryable", error.retryable)
  span.end(nowNanos, Exit.fail(new SpanError(error.tag, error.message)))
}
