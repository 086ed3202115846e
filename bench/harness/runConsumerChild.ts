/**
 * Runs one scenario's consumer in its own Node process (this Node, no --max-old-space-size),
 * so its CPU and peak RSS are its own. `start` resolves once the child's group assigned it
 * partitions; `finished` once it reported `expected` outcomes; `stop` asks it to shut down
 * and waits for the exit (SIGKILL after a grace period). Output lines are kept for error
 * messages (and echoed with `verbose`).
 */
import { type ChildProcess, fork } from "node:child_process"
import { join } from "node:path"
import { CHILD_ENV, type ChildMessage, type ChildSettings, type HarnessMessage } from "./childProtocol.ts"

export type ChildKind = "hookstreamConsumer" | "rawPipe" | "naiveConsumer"

export interface ChildDone {
  readonly readyAt: number
  readonly doneAt: number
  readonly processed: number
  readonly cpuS: number
  readonly maxRssMb: number
}

export interface RunningChild {
  readonly pid: number
  readonly readyAt: number
  readonly finished: Promise<ChildDone>
  readonly stop: () => Promise<void>
}

export interface ChildRunOptions {
  readonly verbose?: boolean
  /** Node flags for the child, e.g. `--cpu-prof --cpu-prof-dir=…` */
  readonly execArgv?: ReadonlyArray<string>
  readonly readyTimeoutMs?: number
  /** how long the child may go without finishing before the scenario fails */
  readonly timeoutMs: number
}

const live = new Set<ChildProcess>()
let exitHook = false

export const runConsumerChild = (
  kind: ChildKind,
  settings: ChildSettings,
  options: ChildRunOptions
): Promise<RunningChild> =>
  new Promise((resolveStart, rejectStart) => {
    const tail: Array<string> = []
    const keep = (prefix: string) => (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line === "") continue
        tail.push(line)
        if (tail.length > 40) tail.shift()
        if (options.verbose === true) process.stderr.write(`  [${kind} ${prefix}] ${line}\n`)
      }
    }
    const child: ChildProcess = fork(join(import.meta.dirname, "children", `${kind}.ts`), [], {
      execArgv: [...(options.execArgv ?? [])],
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(settings) },
      stdio: ["ignore", "pipe", "pipe", "ipc"]
    })
    live.add(child)
    if (!exitHook) {
      exitHook = true
      // the harness never leaves a consumer behind, even when it dies itself
      process.once("exit", () => {
        for (const c of live) c.kill("SIGKILL")
      })
    }
    child.stdout?.on("data", keep("out"))
    child.stderr?.on("data", keep("err"))
    const describe = (what: string) => `${kind}: ${what}\n${tail.map((l) => `    ${l}`).join("\n")}`

    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
    let readyAt: number | undefined
    let settleDone: { resolve: (done: ChildDone) => void; reject: (error: Error) => void } | undefined
    const finished = new Promise<ChildDone>((resolve, reject) => {
      settleDone = { resolve, reject }
    })
    // the scenario may fail before anyone awaits `finished`
    finished.catch(() => undefined)

    const fail = (error: Error) => {
      if (readyAt === undefined) {
        child.kill("SIGKILL")
        rejectStart(error)
      }
      settleDone?.reject(error)
    }
    let timer: NodeJS.Timeout | undefined = setTimeout(
      () => fail(new Error(describe(`not ready after ${options.readyTimeoutMs ?? 60_000} ms`))),
      options.readyTimeoutMs ?? 60_000
    )
    child.once("exit", (code, signal) => {
      live.delete(child)
      clearTimeout(timer)
      fail(new Error(describe(`exited (${code ?? signal}) before it finished`)))
    })
    child.on("message", (message: ChildMessage) => {
      if (message.type === "ready") {
        readyAt = message.at
        clearTimeout(timer)
        timer = setTimeout(
          () => fail(new Error(describe(`not finished after ${options.timeoutMs} ms`))),
          options.timeoutMs
        )
        resolveStart({ pid: child.pid ?? -1, readyAt, finished, stop })
      } else if (message.type === "done") {
        clearTimeout(timer)
        timer = undefined
        settleDone?.resolve({
          readyAt: readyAt ?? message.at,
          doneAt: message.at,
          processed: message.processed,
          cpuS: message.cpuS,
          maxRssMb: message.maxRssMb
        })
      } else {
        fail(new Error(describe(`failed: ${message.message}`)))
      }
    })

    const stop = async () => {
      clearTimeout(timer)
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) child.send({ type: "stop" } satisfies HarnessMessage)
      else child.kill("SIGTERM")
      const kill = setTimeout(() => child.kill("SIGKILL"), 30_000)
      await exited
      clearTimeout(kill)
    }
  })
