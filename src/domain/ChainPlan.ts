/**
 * The decoded, frozen form of a stream definition. Built once when streams load
 * (config/), shared read-only by every event; nothing downstream copies or mutates it.
 * All durations are milliseconds.
 */
import type { ModuleName } from "./ModuleName.ts"

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
  readonly module: ModuleName
  readonly index: number
  /** name of an entry in the connections file */
  readonly connection?: string
  /** per-attempt timeout, ≤ the chain timeout */
  readonly timeoutMs: number
  readonly retry: RetryPolicy
  /** the module's config, decoded by that module's own schema and frozen */
  readonly config: unknown
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
}
