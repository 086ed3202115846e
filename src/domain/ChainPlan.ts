/**
 * The decoded, frozen form of a stream definition. Built once when streams load
 * (config/), shared read-only by every event; nothing downstream copies or mutates it.
 * All durations are milliseconds.
 */
import type { Condition, StepShape } from "./Expression.ts"

export interface RetryPolicy {
  /** total attempts including the first, 1–10 */
  readonly maxAttempts: number
  readonly initialDelayMs: number
  /** ≤ 30 s */
  readonly maxDelayMs: number
  /** 1–10 */
  readonly multiplier: number
  /** full jitter on each backoff delay (default true) */
  readonly jitter: boolean
}

export interface ModulePlan {
  /** unique within the chain; default `<module>-<index>` */
  readonly id: string
  /** a declared destination's name (modules/destinations.ts), resolved from aliases when the stream loaded */
  readonly module: string
  readonly index: number
  /** name of an entry in the connections file */
  readonly connection?: string
  /** per-attempt timeout, ≤ the chain timeout */
  readonly timeoutMs: number
  readonly retry: RetryPolicy
  /** the module's config, decoded by that module's own schema and frozen */
  readonly config: unknown
  readonly guard: GuardPolicy
  /** `when:` false: the step is `skipped` (reason `condition_false`), never called */
  readonly when?: Condition
  /** `transform:` / `headers:`: what this step's destination receives instead of the shared payload */
  readonly shape?: StepShape
}

/**
 * Circuit breaker and concurrency limit shared by every step that uses the same
 * destination connection (`key` = the connection name, or `<webhook_id>/<module id>`
 * for steps without one), so one slow or dead sink cannot take every slot.
 */
export interface GuardPolicy {
  readonly key: string
  /** in-flight sends allowed at once through this key (default 64) */
  readonly maxInFlight: number
  /**
   * sends allowed to wait for one of those slots (default: as many as `maxInFlight`). Past
   * that the destination is congested: work for it is deferred (see processor/deferral),
   * so a slow destination holds at most `maxInFlight + maxQueued` events of the process.
   */
  readonly maxQueued: number
  /** consecutive failures that open the circuit (default 5) */
  readonly failureThreshold: number
  /** how long the circuit stays open before one probe is let through (default 30 s) */
  readonly cooldownMs: number
}

export type Execution = "sequential" | "parallel"

export interface ChainPlan {
  /** the webhook_id this stream answers */
  readonly webhookId: string
  readonly execution: Execution
  readonly continueOnError: boolean
  /** whole-chain deadline: bounds modules, retries and backoff */
  readonly timeoutMs: number
  /** parallel only: modules in flight at once */
  readonly maxParallel: number
  readonly modules: ReadonlyArray<ModulePlan>
  /** `filter:` false: the chain does not run; the result's status is `filtered` */
  readonly filter?: Condition
}
