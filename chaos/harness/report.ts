/**
 * reports/chaos.json (`scenarios.<name>.{events, outcomes, lost, duplicates, passed, notes}`
 * plus each scenario's checks and figures) and the table printed at the end of a run.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { SCENARIOS, type ScenarioName, type ScenarioResult } from "./types.ts"

export interface ChaosReport {
  readonly generated_at: string
  readonly command: string
  readonly quick: boolean
  readonly machine: { readonly cpus: number; readonly node: string; readonly kafka: string; readonly broker: string }
  readonly wall_s: number
  readonly passed: boolean
  readonly scenarios: Partial<Record<ScenarioName, ScenarioResult>>
  /** scenarios that threw before they could report (harness or setup failures) */
  readonly errors: Partial<Record<ScenarioName, string>>
}

const num = (n: number) => n.toLocaleString("en-US")

/** The table: one row per scenario that ran, failed checks listed under it. */
export const reportTable = (report: ChaosReport): string => {
  const rows: Array<ReadonlyArray<string>> = [
    ["scenario", "events", "outcomes", "lost", "duplicates", "passed", "s", "notes"]
  ]
  for (const name of SCENARIOS) {
    const r = report.scenarios[name]
    const error = report.errors[name]
    if (r !== undefined) {
      rows.push([
        name,
        num(r.events),
        num(r.outcomes),
        num(r.lost),
        num(r.duplicates),
        r.passed ? "yes" : "NO",
        String(Math.round(r.seconds)),
        r.notes
      ])
    } else if (error !== undefined) {
      rows.push([name, "–", "–", "–", "–", "NO", "–", `error: ${error.split("\n")[0]}`])
    }
  }
  const lines = [
    `| ${rows[0]?.join(" | ")} |`,
    "|---|--:|--:|--:|--:|---|--:|---|",
    ...rows.slice(1).map((r) => `| ${r.join(" | ")} |`)
  ]
  const failed = SCENARIOS.flatMap((name) =>
    (report.scenarios[name]?.checks ?? []).filter((c) => !c.ok).map((c) => `- ${name}: ${c.name} — ${c.detail}`)
  )
  if (failed.length > 0) lines.push("", "Failed checks:", ...failed)
  return lines.join("\n")
}

export const writeChaosReport = async (report: ChaosReport, dir: string): Promise<string> => {
  await mkdir(dir, { recursive: true })
  const file = join(dir, "chaos.json")
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}
