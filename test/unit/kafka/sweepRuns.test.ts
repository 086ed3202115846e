/**
 * sweepRuns removes the data of throw-away brokers whose JVM is gone, except a run paused
 * for an outage drill (LocalKafka's restart.pause) while the process that paused it lives.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { PAUSED_FILE, sweepRuns } from "../../../src/kafka/local/sweepRuns.ts"

/** A pid that belonged to a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid as number

const run = (runsDir: string, name: string, files: Record<string, string>) => {
  const dir = join(runsDir, name)
  mkdirSync(join(dir, "data"), { recursive: true })
  writeFileSync(join(dir, "data", "meta.properties"), "x")
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
  return dir
}

describe("sweepRuns", () => {
  it("keeps the data of a paused run whose owner lives; sweeps it once the owner is gone", async () => {
    const runsDir = mkdtempSync(join(tmpdir(), "hs-runs-"))
    const gone = deadPid()
    const paused = run(runsDir, "a-paused", { "broker.pid": `${gone}\n`, [PAUSED_FILE]: `${process.pid}\n` })
    const abandoned = run(runsDir, "b-abandoned", { "broker.pid": `${gone}\n`, [PAUSED_FILE]: `${gone}\n` })
    const dead = run(runsDir, "c-dead", { "broker.pid": `${gone}\n` })
    await Effect.runPromise(sweepRuns(runsDir))
    expect(existsSync(join(paused, "data", "meta.properties"))).toBe(true)
    expect(existsSync(join(abandoned, "data"))).toBe(false)
    expect(existsSync(join(dead, "data"))).toBe(false)
  })

  it("keeps a cluster's run while any of its nodes lives (broker.pid holds one pid per node)", async () => {
    const runsDir = mkdtempSync(join(tmpdir(), "hs-runs-"))
    const dir = join(runsDir, "a-cluster")
    // a live process whose command line names the run folder, as a node's JVM does
    const node = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)", dir], { stdio: "ignore" })
    try {
      run(runsDir, "a-cluster", { "broker.pid": `${deadPid()}\n${node.pid}\n${deadPid()}\n` })
      const gone = run(runsDir, "b-cluster-gone", { "broker.pid": `${deadPid()}\n${deadPid()}\n` })
      await Effect.runPromise(sweepRuns(runsDir))
      expect(existsSync(join(dir, "data", "meta.properties"))).toBe(true)
      expect(existsSync(join(gone, "data"))).toBe(false)
    } finally {
      node.kill("SIGKILL")
    }
  })
})
