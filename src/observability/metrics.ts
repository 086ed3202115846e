/**
 * The process's Prometheus registry, shared by every part of hookstream that exposes
 * metrics (the ingress now, the processor later): each registers its collectors here with
 * `registers: [registry]`, and the ops server's `/metrics` renders it. Node's default process
 * metrics (CPU, memory, event-loop lag, GC, active handles) and the live Effect fibers are added
 * once, by `enableProcessMetrics`.
 */
import { collectDefaultMetrics, Gauge, Registry } from "prom-client"
import { activeFibers } from "./fiberMetrics.ts"

export const registry = new Registry()

let processMetrics = false

export const enableProcessMetrics = (): void => {
  if (processMetrics) return
  processMetrics = true
  collectDefaultMetrics({ register: registry })
  new Gauge({
    name: "hookstream_fibers_active",
    help: "Effect fibers alive in the process (back to its idle level once the work is done)",
    registers: [registry],
    collect() {
      this.set(activeFibers())
    }
  })
}
