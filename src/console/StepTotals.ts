/**
 * Per-step totals since the process started, by `<webhook_id>/<step id>`: what the console's
 * streams view shows next to each step. Counted on every finished chain whether or not a page
 * is open (a page opened later must not read "no runs" after hours of traffic), so the cost per
 * event stays small and fixed: per step two map lookups and a few additions, and no allocation
 * once a step has been seen. Steps that never started (`skipped`, after an earlier failure) are
 * counted apart: they are not runs and must not drag the success rate down.
 */
import type { ModuleStatus } from "../domain/Outcome.ts"

/** `<webhook>/<step>` keys tracked; the standalone console reads webhook ids from a topic */
export const MAX_STEP_KEYS = 2_000

export interface StepTotalsView {
  /** outcomes other than skipped: the step was started, or refused by its circuit */
  readonly runs: number
  readonly succeeded: number
  /** never started because an earlier step failed */
  readonly skipped: number
  /** mean over the runs that made at least one attempt */
  readonly meanMs: number
}

interface Counter {
  runs: number
  succeeded: number
  skipped: number
  attempted: number
  ms: number
}

/** The counters of one stream's steps: looked up once per event, then once per step. */
export interface StreamSteps {
  readonly add: (stepId: string, status: ModuleStatus, attempts: number, durationMs: number) => void
}

export interface StepTotals {
  readonly of: (webhookId: string) => StreamSteps
  readonly view: () => Readonly<Record<string, StepTotalsView>>
}

const NOWHERE: StreamSteps = { add: () => undefined }

export const makeStepTotals = (maxKeys: number = MAX_STEP_KEYS): StepTotals => {
  const byWebhook = new Map<string, StreamSteps & { readonly counters: Map<string, Counter> }>()
  let keys = 0
  const streamSteps = (): StreamSteps & { readonly counters: Map<string, Counter> } => {
    const counters = new Map<string, Counter>()
    return {
      counters,
      add: (stepId, status, attempts, durationMs) => {
        let c = counters.get(stepId)
        if (c === undefined) {
          if (keys >= maxKeys) return
          c = { runs: 0, succeeded: 0, skipped: 0, attempted: 0, ms: 0 }
          counters.set(stepId, c)
          keys++
        }
        if (status === "skipped") {
          c.skipped++
          return
        }
        c.runs++
        if (status === "succeeded") c.succeeded++
        if (attempts > 0) {
          c.attempted++
          c.ms += durationMs
        }
      }
    }
  }
  return {
    of: (webhookId) => {
      let steps = byWebhook.get(webhookId)
      if (steps === undefined) {
        if (keys >= maxKeys) return NOWHERE
        steps = streamSteps()
        byWebhook.set(webhookId, steps)
      }
      return steps
    },
    view: () => {
      const out: Record<string, StepTotalsView> = {}
      for (const [webhookId, steps] of byWebhook)
        for (const [stepId, c] of steps.counters)
          out[`${webhookId}/${stepId}`] = {
            runs: c.runs,
            succeeded: c.succeeded,
            skipped: c.skipped,
            meanMs: c.attempted === 0 ? 0 : c.ms / c.attempted
          }
      return out
    }
  }
}
