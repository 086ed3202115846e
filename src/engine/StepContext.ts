import type { Clock } from "effect"
import type { ExpressionContext } from "../domain/Expression.ts"
import type { Sanitizer } from "../domain/sanitize.ts"
import type { DeferrableInput } from "./BoundChain.ts"

/** Everything a step needs from its chain run. */
export interface StepContext {
  readonly webhookId: string
  readonly input: DeferrableInput
  /** `<webhook id>:<event id>:`, each step's idempotency key but its module id (IdempotencyKey.ts) */
  readonly keyPrefix: string
  /** epoch ms after which nothing new may start */
  readonly deadline: number
  readonly sanitize: Sanitizer
  /** read once per chain: a synchronous clock read is much cheaper than yielding for it */
  readonly clock: Clock.Clock
  /** a tracer records spans: one per attempt, and sinks get the attempt's context */
  readonly traced: boolean
  /** what `when`, `transform` and `headers` read; built once per run, only for chains that have them */
  readonly expressions: ExpressionContext | undefined
}
