import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, openSync, readFileSync } from "node:fs"
import { Effect } from "effect"
import type { BrokerFiles } from "./brokerFiles.ts"
import { findExecutable } from "./findExecutable.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"

export interface BrokerExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface BrokerProcess {
  readonly pid: number
  /** Completes when the JVM exits (only observable while this process lives). */
  readonly exited: Effect.Effect<BrokerExit>
}

/**
 * `owned`: the broker must not outlive this process. It is tied to us three ways: the scope that
 * started it stops it; an `exit` hook SIGKILLs whatever is still running when Node exits; and
 * `setpriv --pdeathsig KILL` makes the kernel kill it if we die without running any JS (SIGKILL,
 * a crash, a signal nobody handles). The kernel ties pdeathsig to the spawning thread: started
 * from a worker thread, the broker dies when that thread ends. `detached`: the dev broker of `npm run kafka:start`, in its
 * own session so it survives the terminal and the script that started it.
 */
export type BrokerOwnership = "owned" | "detached"

const owned = new Set<ChildProcess>()
let exitHookInstalled = false

const installExitHook = () => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once("exit", () => {
    for (const child of owned) child.kill("SIGKILL")
  })
}

export const spawnBroker = (input: {
  readonly java: string
  readonly classpath: string
  readonly jvmFlags: ReadonlyArray<string>
  readonly files: BrokerFiles
  readonly ownership: BrokerOwnership
}): Effect.Effect<BrokerProcess, LocalKafkaError> =>
  Effect.try({
    try: () => {
      const javaArgs = [
        ...input.jvmFlags,
        `-Dlog4j2.configurationFile=${input.files.log4j2Properties}`,
        // Kafka stops log4j itself at the end of its shutdown; log4j's own hook would cut the
        // log off mid-shutdown and hide whether it completed.
        "-Dlog4j2.shutdownHookEnabled=false",
        "-cp",
        input.classpath,
        "kafka.Kafka",
        input.files.serverProperties
      ]
      const setpriv = input.ownership === "owned" ? findExecutable("setpriv") : undefined
      const [command, args] =
        setpriv === undefined
          ? [input.java, javaArgs]
          : [setpriv, ["--pdeathsig", "KILL", "--", input.java, ...javaArgs]]
      // The JVM writes straight into the log file: nothing to pump, and the file stays complete
      // even after this process has gone (the detached case).
      const log = openSync(input.files.logFile, "a")
      let child: ChildProcess
      try {
        // Always a process group of its own: a terminal's Ctrl-C reaches the whole foreground
        // group, and an owned broker must stop after its owner has drained, not with it.
        child = spawn(command, args, { stdio: ["ignore", log, log], detached: true })
      } finally {
        closeSync(log)
      }
      const exit = new Promise<BrokerExit>((resolve) => {
        child.once("exit", (code, signal) => {
          owned.delete(child)
          resolve({ code, signal })
        })
        child.once("error", () => resolve({ code: null, signal: null }))
      })
      if (child.pid === undefined) throw new Error(`could not spawn ${command}`)
      if (input.ownership === "owned") {
        owned.add(child)
        installExitHook()
      } else {
        child.unref()
      }
      return { pid: child.pid, exited: Effect.promise(() => exit) }
    },
    catch: (cause) =>
      new LocalKafkaError({ reason: "broker_exited", message: `cannot start the broker JVM: ${String(cause)}` })
  })

/** Alive and not a zombie: a dead child not yet reaped still answers signal 0. */
export const isAlive = (pid: number): boolean => {
  // 0 and negative numbers name process groups (-1: every process we may signal), never one process
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    // no procfs (macOS): signal 0 is all we have
    return true
  }
}

/** The command line of a live process, to tell our broker from an unrelated process reusing its pid. */
export const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ")
  } catch {
    return ""
  }
}

const send = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

const waitUntilDead = (pid: number, timeoutMs: number): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (isAlive(pid)) {
      if (Date.now() >= deadline) return false
      yield* Effect.sleep("100 millis")
    }
    return true
  })

/**
 * SIGTERM runs Kafka's controlled shutdown (it flushes and closes the logs, ~1-2 s here); a
 * broker that has not exited after `graceMs` gets SIGKILL. With `signal: "SIGKILL"` the JVM
 * dies at once, as in a crash (the chaos drills). Never fails.
 */
export const terminate = (
  pid: number,
  graceMs: number,
  signal: "SIGTERM" | "SIGKILL" = "SIGTERM"
): Effect.Effect<"not_running" | "stopped" | "killed"> =>
  Effect.gen(function* () {
    if (!isAlive(pid)) return "not_running" as const
    if (signal === "SIGTERM") {
      send(pid, "SIGTERM")
      if (yield* waitUntilDead(pid, graceMs)) return "stopped" as const
    }
    send(pid, "SIGKILL")
    yield* waitUntilDead(pid, 10_000)
    return "killed" as const
  })
