/**
 * The streams as the console draws them: each chain's steps (in order, or one parallel
 * group), deadline, per-attempt timeouts, retry policy and circuit-breaker settings. Module
 * configs are left out on purpose: they hold URLs, DSNs and tokens, and the console never
 * renders a secret. Pure.
 */

import type { ReloadStatus } from "../config/ReloadStatus.ts"
import type { StreamDefinition } from "../config/StreamDefinition.ts"
import type { RetryPolicy } from "../domain/ChainPlan.ts"

export interface StepView {
  readonly id: string
  readonly module: string
  readonly connection?: string
  readonly timeoutMs: number
  readonly retry: RetryPolicy
  readonly circuit: {
    readonly failureThreshold: number
    readonly cooldownMs: number
    readonly maxInFlight: number
    /** the `connection` label of `hookstream_circuit_state` for this step's guard */
    readonly label: string
  }
}

export interface StreamView {
  readonly webhookId: string
  readonly description?: string
  readonly file: string
  readonly execution: "sequential" | "parallel"
  readonly continueOnError: boolean
  readonly timeoutMs: number
  readonly maxParallel: number
  readonly maxPayloadBytes: number
  readonly steps: ReadonlyArray<StepView>
}

export const streamView = (stream: StreamDefinition): StreamView => {
  const plan = stream.plan
  return {
    webhookId: plan.webhookId,
    ...(stream.description === undefined ? {} : { description: stream.description }),
    file: stream.file,
    execution: plan.execution,
    continueOnError: plan.continueOnError,
    timeoutMs: plan.timeoutMs,
    maxParallel: plan.maxParallel,
    maxPayloadBytes: stream.maxPayloadBytes,
    steps: plan.modules.map((m) => ({
      id: m.id,
      module: m.module,
      ...(m.connection === undefined ? {} : { connection: m.connection }),
      timeoutMs: m.timeoutMs,
      retry: m.retry,
      circuit: {
        failureThreshold: m.guard.failureThreshold,
        cooldownMs: m.guard.cooldownMs,
        maxInFlight: m.guard.maxInFlight,
        label: m.connection ?? m.guard.key
      }
    }))
  }
}

/** The reload status as the page shows it (times as RFC 3339); `null` where the config does not reload. */
export const reloadView = (status: ReloadStatus | undefined) =>
  status === undefined
    ? null
    : {
        version: status.version,
        generation: status.generation,
        applied_at: new Date(status.appliedAt).toISOString(),
        last_rejected:
          status.lastRejected === undefined
            ? null
            : {
                at: new Date(status.lastRejected.at).toISOString(),
                why: status.lastRejected.why,
                problems: status.lastRejected.problems
              }
      }
