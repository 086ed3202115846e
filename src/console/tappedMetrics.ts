/**
 * The processor's metrics with the console's live hub tapped in: the processor reports to
 * one observer (`ProcessorOptions.metrics`), and this one forwards every call to the
 * Prometheus collectors and to the hub. The hub's side never waits (see LiveHub).
 */
import type { ProcessorMetrics } from "../processor/ProcessorMetrics.ts"
import { type LiveHub, processorGauges } from "./LiveHub.ts"

export const tappedMetrics = (base: ProcessorMetrics, hub: LiveHub): ProcessorMetrics => ({
  ...base,
  chainFinished: (webhookId, outcome, eventId) => {
    base.chainFinished(webhookId, outcome, eventId)
    hub.chainFinished(webhookId, outcome, eventId)
  },
  deadLettered: (reason) => {
    base.deadLettered(reason)
    hub.deadLettered(reason)
  },
  deferred: (webhookId, reason, destinations) => {
    base.deferred?.(webhookId, reason, destinations)
    hub.deferred(reason)
  },
  attach: (sources) => {
    const detachMetrics = base.attach(sources)
    const detachHub = hub.attach(processorGauges(sources))
    return () => {
      detachMetrics()
      detachHub()
    }
  }
})
