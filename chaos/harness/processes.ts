/**
 * The real executables as child processes: `hookstream run` (and `hookstream ingress`) from
 * bin/hookstream.js on this Node (process.execPath: the project's Node 22), with a scenario's
 * stream files and connections. Every line they print is appended to a log file in the
 * scenario's folder (the secrets scenario greps it) and kept in memory for waits.
 *
 * Readiness is read from the processes' own words: the ops URL from the `streams loaded`
 * line (`--ops-port 0` picks a free port), partitions from `partitions assigned`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createWriteStream, type WriteStream } from "node:fs"
import { join } from "node:path"
import { waitFor } from "../../test/support/waitFor.ts"
import { scrapeMetrics } from "./metrics.ts"
import type { Workspace } from "./workspace.ts"

const root = join(import.meta.dirname, "..", "..")
const executable = join(root, "bin", "hookstream.js")

/** processes started and not yet seen to exit: killed by `killAll` (the driver's exit hook) */
const live = new Set<ChildProcess>()

export const killAll = (): void => {
  for (const proc of live) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL")
}

export interface HookstreamProcess {
  readonly pid: number
  readonly label: string
  /** every line printed so far (stdout and stderr) */
  readonly lines: () => ReadonlyArray<string>
  /** the ops server's base URL, once known */
  readonly opsUrl: () => string | undefined
  /** the ingress's base URL (`http://127.0.0.1:<port>`), once known */
  readonly url: () => string | undefined
  /** the partitions of the last `partitions assigned` line */
  readonly assigned: () => ReadonlyArray<number> | undefined
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly running: () => boolean
  /** waits for the ops URL (and, with `partitions`, for an assignment) */
  readonly ready: (options?: { readonly partitions?: boolean; readonly timeoutMs?: number }) => Promise<void>
  readonly kill: (signal: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly metrics: () => Promise<ReadonlyMap<string, number>>
}

export interface SpawnOptions {
  readonly label: string
  readonly args: ReadonlyArray<string>
  readonly logFile: string
  readonly env?: Readonly<Record<string, string>>
  readonly verbose?: boolean
}

const spawnHookstream = (options: SpawnOptions): HookstreamProcess => {
  const proc = spawn(process.execPath, [executable, ...options.args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  live.add(proc)
  const log: WriteStream = createWriteStream(options.logFile, { flags: "a" })
  const lines: Array<string> = []
  let opsUrl: string | undefined
  let assigned: ReadonlyArray<number> | undefined
  let url: string | undefined
  const onLine = (line: string) => {
    if (line === "") return
    lines.push(line)
    // keep memory flat on long runs: the log file has everything
    if (lines.length > 20_000) lines.splice(0, 10_000)
    log.write(`${line}\n`)
    if (options.verbose) process.stderr.write(`[${options.label}] ${line}\n`)
    if (opsUrl === undefined) {
      // run: the `streams loaded` line's `ops` field; ingress: "hookstream ingress: ops on <url> (…)"
      const m = /"ops":"(http:\/\/[^"]+)"/.exec(line) ?? /^hookstream ingress: ops on (http:\/\/\S+)/.exec(line)
      if (m?.[1] !== undefined) opsUrl = m[1]
    }
    if (url === undefined) {
      const m = /^hookstream ingress: listening on (http:\/\/[^/\s]+)/.exec(line)
      if (m?.[1] !== undefined) url = m[1]
    }
    if (line.includes('"msg":"partitions assigned')) {
      const m = /"msg":"partitions assigned: ?([0-9,]*)"/.exec(line)
      assigned = m?.[1] === undefined || m[1] === "" ? [] : m[1].split(",").map(Number)
    }
  }
  const splitter = () => {
    let rest = ""
    return (chunk: Buffer) => {
      rest += chunk.toString("utf8")
      const parts = rest.split("\n")
      rest = parts.pop() ?? ""
      for (const part of parts) onLine(part)
    }
  }
  proc.stdout?.on("data", splitter())
  proc.stderr?.on("data", splitter())
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => {
      live.delete(proc)
      log.write(`--- ${options.label} exited: code ${code} signal ${signal}\n`)
      log.end()
      resolve({ code, signal })
    })
  )
  const running = () => proc.exitCode === null && proc.signalCode === null
  const tail = () => lines.slice(-30).join("\n")
  return {
    pid: proc.pid ?? -1,
    label: options.label,
    lines: () => lines,
    opsUrl: () => opsUrl,
    url: () => url,
    assigned: () => assigned,
    exited,
    running,
    ready: async ({ partitions = false, timeoutMs = 60_000 } = {}) => {
      await waitFor(
        () => {
          if (!running()) throw new Error(`${options.label} exited`)
          return opsUrl !== undefined && (!partitions || (assigned !== undefined && assigned.length > 0))
        },
        {
          timeoutMs,
          intervalMs: 100,
          description: () => `${options.label} ready${partitions ? " with partitions" : ""}; output:\n${tail()}`
        }
      )
    },
    kill: async (signal) => {
      if (running()) proc.kill(signal)
      return exited
    },
    metrics: () => {
      if (opsUrl === undefined) return Promise.reject(new Error(`${options.label}: ops URL not known yet`))
      return scrapeMetrics(opsUrl)
    }
  }
}

export interface ProcessorSettings {
  readonly brokers: string
  readonly label: string
  readonly exactlyOnce?: boolean
  readonly instanceId?: string
  readonly sessionTimeout?: string
  readonly shutdownTimeout?: string
  readonly maxInFlight?: number
  readonly maxInFlightPerPartition?: number
  readonly env?: Readonly<Record<string, string>>
  readonly verbose?: boolean
}

/** `hookstream run` on the workspace's streams, topics and group, ops on a free loopback port. */
export const startProcessor = (ws: Workspace, settings: ProcessorSettings): HookstreamProcess =>
  spawnHookstream({
    label: settings.label,
    logFile: join(ws.dir, "processor.log"),
    ...(settings.env === undefined ? {} : { env: settings.env }),
    ...(settings.verbose === undefined ? {} : { verbose: settings.verbose }),
    args: [
      "run",
      "--brokers",
      settings.brokers,
      "--streams",
      ws.streamsDir,
      "--connections",
      ws.connectionsFile,
      "--group",
      ws.group,
      "--input",
      ws.topics.input,
      "--results",
      ws.topics.results,
      "--dlq",
      ws.topics.dlq,
      "--ops-host",
      "127.0.0.1",
      "--ops-port",
      "0",
      "--instance-id",
      settings.instanceId ?? `${ws.name}-1`,
      ...(settings.exactlyOnce === true ? ["--exactly-once"] : []),
      ...(settings.sessionTimeout === undefined ? [] : ["--session-timeout", settings.sessionTimeout]),
      ...(settings.shutdownTimeout === undefined ? [] : ["--shutdown-timeout", settings.shutdownTimeout]),
      ...(settings.maxInFlight === undefined ? [] : ["--max-in-flight", String(settings.maxInFlight)]),
      ...(settings.maxInFlightPerPartition === undefined
        ? []
        : ["--max-in-flight-per-partition", String(settings.maxInFlightPerPartition)])
    ]
  })

export interface IngressSettings {
  readonly brokers: string
  readonly label: string
  readonly maxInFlight: number
  readonly produceTimeout?: string
  readonly env?: Readonly<Record<string, string>>
  readonly verbose?: boolean
}

/** `hookstream ingress` on the workspace's streams, producing to its input topic. */
export const startIngressProcess = (ws: Workspace, settings: IngressSettings): HookstreamProcess =>
  spawnHookstream({
    label: settings.label,
    logFile: join(ws.dir, "ingress.log"),
    ...(settings.env === undefined ? {} : { env: settings.env }),
    ...(settings.verbose === undefined ? {} : { verbose: settings.verbose }),
    args: [
      "ingress",
      "--brokers",
      settings.brokers,
      "--streams",
      ws.streamsDir,
      "--connections",
      ws.connectionsFile,
      "--input",
      ws.topics.input,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--ops-host",
      "127.0.0.1",
      "--ops-port",
      "0",
      "--max-in-flight",
      String(settings.maxInFlight),
      ...(settings.produceTimeout === undefined ? [] : ["--produce-timeout", settings.produceTimeout])
    ]
  })

/** Runs a one-shot hookstream command (replay, dlq…) to its end; its output is appended to `logFile`. */
export const runHookstream = async (
  args: ReadonlyArray<string>,
  logFile: string,
  timeoutMs = 300_000
): Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }> => {
  const proc = spawn(process.execPath, [executable, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  live.add(proc)
  let stdout = ""
  let stderr = ""
  proc.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString("utf8")
  })
  proc.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8")
  })
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs)
  const code = await new Promise<number | null>((resolve) => proc.on("exit", (c) => resolve(c)))
  clearTimeout(timer)
  live.delete(proc)
  const log = createWriteStream(logFile, { flags: "a" })
  log.end(`$ hookstream ${args.join(" ")}\n${stdout}${stderr}--- exit ${code}\n`)
  return { code, stdout, stderr }
}
