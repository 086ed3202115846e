/** What the chaos CI subsets (chaos.test.ts, chaosCluster.test.ts) require of every scenario's result. */
import { expect } from "vitest"
import type { ScenarioResult } from "../../chaos/harness/types.ts"

export const expectScenarioPassed = (name: string, result: ScenarioResult, log: ReadonlyArray<string>): void => {
  const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)
  expect(failed, `${name}: ${result.notes}\n${log.join("\n")}`).toEqual([])
  expect(result.passed).toBe(true)
  expect(result.lost).toBe(0)
  expect(result.events).toBeGreaterThan(0)
}
