/**
 * The process's Prometheus registry, shared by every part of hookstream that exposes
 * metrics (the ingress now, the processor later): each registers its collectors here with
 * `registers: [registry]`, and the ops server's `/metrics` renders it. Node's default process
 * metrics (CPU, memory, event-loop lag, GC) are added once, by `enableProcessMetrics`.
 */
import { collectDefaultMetrics, Registry } from "prom-client"

export const registry = new Registry()

let processMetrics = false

export const enableProcessMetrics = (): void => {
  if (processMetrics) return
  processMetrics = true
  collectDefaultMetrics({ register: registry })
}
