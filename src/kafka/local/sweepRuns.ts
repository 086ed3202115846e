import { readdir, readFile, rm, stat } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import { commandLine, isAlive } from "./BrokerProcess.ts"

const KEEP_LOGS = 3
const UNCLAIMED_AFTER_MS = 10 * 60_000

/** Written by `LocalKafka`'s pause (an outage drill): the owner's pid while no JVM runs. */
export const PAUSED_FILE = "paused.pid"

const pidsIn = async (file: string): Promise<ReadonlyArray<number>> =>
  (await readFile(file, "utf8").catch(() => ""))
    .split("\n")
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0)

/**
 * A run folder is in use while one of its JVMs lives (`broker.pid`: one per node), while the
 * process that paused it lives, or briefly before its pid file is written.
 */
const inUse = async (dir: string): Promise<boolean> => {
  const [owner] = await pidsIn(join(dir, PAUSED_FILE))
  if (owner !== undefined && isAlive(owner)) return true
  const pids = await pidsIn(join(dir, "broker.pid"))
  if (pids.length > 0) return pids.some((pid) => isAlive(pid) && commandLine(pid).includes(dir))
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
