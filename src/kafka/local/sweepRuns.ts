import { readdir, readFile, rm, stat } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import { commandLine, isAlive } from "./BrokerProcess.ts"

const KEEP_LOGS = 3
const UNCLAIMED_AFTER_MS = 10 * 60_000

/** Written by `LocalKafka`'s pause (an outage drill): the owner's pid while no JVM runs. */
export const PAUSED_FILE = "paused.pid"

/**
 * A run folder is in use while its JVM lives, while the process that paused it lives, or
 * briefly before its pid file is written.
 */
const inUse = async (dir: string): Promise<boolean> => {
  const owner = Number.parseInt(await readFile(join(dir, PAUSED_FILE), "utf8").catch(() => ""), 10)
  if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return true
  const pid = Number.parseInt(await readFile(join(dir, "broker.pid"), "utf8").catch(() => ""), 10)
  if (Number.isInteger(pid) && pid > 0) return isAlive(pid) && commandLine(pid).includes(dir)
  const info = await stat(dir).catch(() => undefined)
  return info !== undefined && Date.now() - info.mtimeMs < UNCLAIMED_AFTER_MS
}

/**
 * Cleans up after throw-away brokers whose owner died before its scope closed (kill -9 of a
 * test run): their data goes; the newest few logs stay for a post-mortem. Never fails.
 */
export const sweepRuns = (runsDir: string): Effect.Effect<void> =>
  Effect.promise(async () => {
    const names = (await readdir(runsDir).catch(() => [] as Array<string>)).sort().reverse()
    let kept = 0
    for (const name of names) {
      const dir = join(runsDir, name)
      if (await inUse(dir)) continue
      if (kept < KEEP_LOGS) {
        kept += 1
        await rm(join(dir, "data"), { recursive: true, force: true })
      } else {
        await rm(dir, { recursive: true, force: true })
      }
    }
  })
