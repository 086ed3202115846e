/**
 * What a chain run produced. Field names are the wire contract of the result record
 * (`hookstream.result/v1`), so the engine's output is published without reshaping.
 */
import { Schema } from "effect"
import type { TraceContext } from "./TraceContext.ts"

export const ModuleStatus = Schema.Literals([
  "succeeded",
  "failed",
  "timed_out",
  "interrupted",
  "skipped",
  "circuit_open"
])
export type ModuleStatus = typeof ModuleStatus.Type

/** `filtered`: the stream's `filter` was false, so the chain did not run (no modules, no dead letter) */
export const ChainStatus = Schema.Literals(["succeeded", "partial", "failed", "timed_out", "filtered"])
export type ChainStatus = typeof ChainStatus.Type

export const ErrorInfo = Schema.Struct({
  /** `DestinationError`, `CircuitOpen`, `Interrupted`, `Skipped`, `Defect`… */
  tag: Schema.String,
  reason: Schema.String,
  retryable: Schema.Boolean,
  /** sanitized: no credentials, no connection strings */
  message: Schema.String
})
export type ErrorInfo = typeof ErrorInfo.Type

export const ModuleOutcome = Schema.Struct({
  id: Schema.String,
  module: Schema.String,
  connection: Schema.optionalKey(Schema.String),
  status: ModuleStatus,
  attempts: Schema.Int,
  duration_ms: Schema.Number,
  error: Schema.optionalKey(ErrorInfo)
})
export type ModuleOutcome = typeof ModuleOutcome.Type

/**
 * A step's status within one run: a module status, or `deferred` (its destination was congested
 * or its circuit open, and the run was asked to hand such work off rather than hold it: it runs
 * later on the deferred path). Never on the wire: results hold module statuses only.
 */
export type StepStatus = ModuleStatus | "deferred"
export type StepOutcome = Omit<ModuleOutcome, "status"> & { readonly status: StepStatus }

/** The engine's answer for one chain run; the processor adds event and source fields. */
export interface ChainOutcome {
  readonly status: ChainStatus
  readonly modules: ReadonlyArray<ModuleOutcome>
  /** epoch milliseconds, from the engine's Clock */
  readonly startedAt: number
  readonly finishedAt: number
  /** the chain span's context, when a tracer recorded the run (outcome records continue it) */
  readonly trace?: TraceContext
  readonly deferred?: undefined
}

/**
 * A run that handed some steps off: the chain is not over, the deferred path finishes it.
 * `modules` holds every selected step in chain order, the handed-off ones `deferred`.
 */
export interface DeferredRun {
  readonly deferred: true
  readonly modules: ReadonlyArray<StepOutcome>
  readonly startedAt: number
  readonly finishedAt: number
  readonly trace?: TraceContext
}

export type ChainRun = ChainOutcome | DeferredRun

/** The reason of a step skipped because its `when` was false. */
export const CONDITION_FALSE = "condition_false"

/** A step its `when` condition left out: not run, and not owed a run (never in failed_modules). */
export const isConditionSkip = (m: {
  readonly status: string
  readonly error?: { readonly reason: string }
}): boolean => m.status === "skipped" && m.error?.reason === CONDITION_FALSE

/** Done as far as the chain is concerned: succeeded, or left out by its condition. */
export const isDone = (m: { readonly status: string; readonly error?: { readonly reason: string } }): boolean =>
  m.status === "succeeded" || isConditionSkip(m)

/** Module statuses that count as "this module needs to run again" for DLQ and replay. */
export const isFailedStatus = (status: ModuleStatus): boolean =>
  status === "failed" || status === "timed_out" || status === "interrupted" || status === "circuit_open"
