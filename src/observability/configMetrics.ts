/** Config reloads, in the shared registry: how many, how they ended, and which config runs now. */
import { Counter, Gauge } from "prom-client"
import { registry } from "./metrics.ts"

export type ReloadResult = "applied" | "rejected" | "unchanged" | "failed"

const reloadsTotal = new Counter({
  name: "hookstream_config_reloads_total",
  help: "Config reloads by component (processor, ingress) and result: applied, rejected (did not validate; the old config keeps running), unchanged (same files), failed (valid, but applying it failed; the old config keeps running)",
  labelNames: ["component", "result"] as const,
  registers: [registry]
})

const versionGauge = new Gauge({
  name: "hookstream_config_version",
  help: "The config a component runs: `version` is the content hash of its files (as in result records' config_version); the value counts the configs applied since start (1 = the one it started with)",
  labelNames: ["component", "version"] as const,
  registers: [registry]
})

export const countReload = (component: string, result: ReloadResult): void => {
  reloadsTotal.inc({ component, result })
}

/** The component now runs `version`, its `generation`th config: the previous version's series goes away. */
export const setConfigVersion = (component: string, version: string, generation: number, previous?: string): void => {
  if (previous !== undefined && previous !== version) versionGauge.remove({ component, version: previous })
  versionGauge.set({ component, version }, generation)
}
