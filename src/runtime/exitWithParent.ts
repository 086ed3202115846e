/**
 * A hookstream process started through npm (`npx hookstream run`, `npm start`) stops when npm
 * goes away. A process manager signals the process it started, which is npm, and npm does not
 * pass SIGTERM on to the command it runs: npm exits and the command, reparented, would keep
 * running (and consuming) with nobody left to stop it. So while started by npm, the process
 * checks every second that its parent, and the parent's parent (npm runs the command through
 * `sh -c`, which may stay behind), are still the ones it started under; when one is gone it
 * signals itself SIGTERM, which drains, commits and exits 0 like a SIGTERM from outside.
 *
 * Processes not started by npm are left alone: under a manager, `node bin/hookstream.js run`
 * receives signals directly, and `nohup hookstream run &` must survive its shell.
 */

import { readFileSync } from "node:fs"

/** The parent pid of `pid`, from /proc; undefined where there is no procfs or the process is gone. */
export const parentOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // the command name (field 2) is in parentheses and may contain spaces: count from its end
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
    return Number.isInteger(ppid) ? ppid : undefined
  } catch {
    return undefined
  }
}

/** Whether npm started this process (`npx`, `npm exec`, `npm start`, `npm run`). */
export const startedByNpm = (env: NodeJS.ProcessEnv): boolean =>
  env["npm_command"] !== undefined || env["npm_lifecycle_event"] !== undefined

export interface ParentWatch {
  /** true once an ancestor the process started under is gone */
  readonly check: () => boolean
}

export const watchAncestors = (): ParentWatch => {
  const parent = process.ppid
  const grandparent = parentOf(parent)
  return {
    check: () => process.ppid !== parent || (grandparent !== undefined && parentOf(parent) !== grandparent)
  }
}

let installed = false

/** When started by npm, stops this process (SIGTERM to itself) once npm or its shell is gone. */
export const exitWithParent = (env: NodeJS.ProcessEnv = process.env, intervalMs = 1_000): void => {
  if (installed || !startedByNpm(env)) return
  installed = true
  const watch = watchAncestors()
  const timer = setInterval(() => {
    if (!watch.check()) return
    clearInterval(timer)
    process.stderr.write(
      "hookstream: the npm process that started this one is gone; stopping as on SIGTERM " +
        "(under a process manager, start `node bin/hookstream.js <command>` with Node 22 so signals reach hookstream itself)\n"
    )
    process.kill(process.pid, "SIGTERM")
  }, intervalMs)
  // never what keeps the process alive
  timer.unref()
}
