/**
 * Expressions in stream files: a stream's `filter` and a step's `when` (CEL conditions), a step's
 * `transform` and `headers` (JSONata). Compiled once when the stream loads (src/expressions/);
 * the engine and the processor see only these interfaces. Every failure is a value, and its
 * message names the expression and where in it things went wrong, never the event's values.
 */
import type { Effect } from "effect"

/** What every expression of a stream reads: the same names in CEL and in JSONata. */
export interface ExpressionContext {
  readonly payload: unknown
  /** the event's headers, names lower-cased */
  readonly headers: Readonly<Record<string, string>>
  readonly webhook_id: string
  readonly event: {
    readonly id: string
    /** the input record's key (utf-8), or null */
    readonly key: string | null
    /** the envelope's `received_at`, or null */
    readonly received_at: string | null
    /** how often this event was replayed from the DLQ (0 the first time) */
    readonly replay_count: number
  }
}

export type ExpressionFailureReason = "condition_failed" | "transform_failed" | "expression_limit"

export interface ExpressionFailure {
  readonly _tag: "ExpressionFailure"
  readonly reason: ExpressionFailureReason
  /** names the expression (its config path) and the failing part of it; no payload values */
  readonly message: string
}

export const expressionFailure = (reason: ExpressionFailureReason, message: string): ExpressionFailure => ({
  _tag: "ExpressionFailure",
  reason,
  message
})

export const isExpressionFailure = (value: unknown): value is ExpressionFailure =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "ExpressionFailure"

/** A CEL condition (`filter:`, `when:`). Synchronous: CEL is bounded by construction (see docs/expressions.md). */
export interface Condition {
  /** the expression as written */
  readonly source: string
  /** where it is in the stream file (`filter`, `chain.2.when`) */
  readonly path: string
  readonly test: (context: ExpressionContext) => boolean | ExpressionFailure
}

/** What a step sends instead of the shared payload, and the http headers it adds. */
export interface StepShape {
  /** `chain.<i>.transform`; absent: the destination gets the payload as it is */
  readonly transform?: string
  /** header names templated from the context (`chain.<i>.headers`) */
  readonly headerNames?: ReadonlyArray<string>
  /** the body (`undefined` when there is no transform) and the headers (empty when none) */
  readonly render: (context: ExpressionContext) => Effect.Effect<ShapedDelivery, ExpressionFailure>
}

export interface ShapedDelivery {
  /** present only with a transform: a fresh value; the shared payload is never touched */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}
