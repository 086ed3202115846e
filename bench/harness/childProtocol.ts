/**
 * What a scenario's consumer process (bench/harness/children/*.ts) and the harness say to
 * each other over the fork IPC channel. The child reads its settings from BENCH_CHILD (JSON),
 * says `ready` once its group has assigned it partitions, `done` once `expected` events have a
 * durable outcome (with its own CPU and peak RSS, so the harness's memory never counts), and
 * exits at once when the harness says `stop`: every outcome it counted is acknowledged by then,
 * and the scenario's topics and group are thrown away, so a graceful shutdown (which waits
 * out KafkaJS's fetch wait) would only cost time.
 */
import { monitorEventLoopDelay } from "node:perf_hooks"

export interface ChildSettings {
  readonly brokers: ReadonlyArray<string>
  readonly input: string
  readonly output: string
  /** hookstream only: its DLQ topic */
  readonly dlq: string
  readonly group: string
  /** events with an outcome before the child reports done */
  readonly expected: number
  /** no-op modules (3) or one http module POSTing to `sinkUrl` */
  readonly chain: "noop" | "http"
  readonly execution: "sequential" | "parallel"
  readonly sinkUrl?: string
  /** rawPipe only: `small` records (default), records shaped like hookstream's results, or
   * those results with only the input's one header (what the five result headers cost) */
  readonly records?: "small" | "results" | "results_lean"
  /** the client that writes the records (rawPipe: KafkaJS unless `platformatic`; hookstream: its default) */
  readonly producerClient?: "kafkajs" | "platformatic"
  /** hookstream only: run with the deferred topic and path (default true, as `hookstream run`) */
  readonly deferral?: boolean
}

export type ChildMessage =
  | { readonly type: "ready"; readonly at: number }
  | {
      readonly type: "done"
      /** epoch ms when the child counted the last outcome */
      readonly at: number
      readonly processed: number
      /** user + system CPU seconds between ready and done */
      readonly cpuS: number
      /** peak resident set of the child process, whole life (resourceUsage().maxRSS) */
      readonly maxRssMb: number
    }
  | { readonly type: "failed"; readonly message: string }

export type HarnessMessage = { readonly type: "stop" }

export const CHILD_ENV = "BENCH_CHILD"

export const childSettings = (): ChildSettings => {
  const raw = process.env[CHILD_ENV]
  if (raw === undefined) throw new Error(`${CHILD_ENV} is not set: this script is started by the bench harness`)
  return JSON.parse(raw) as ChildSettings
}

const send = (message: ChildMessage): void => {
  process.send?.(message)
}

/**
 * The child's side of the protocol: `ready()` once assigned; `progress()` is polled, and the
 * first time it reaches `expected` the child reports done; it exits when the harness says
 * `stop` (or goes away).
 */
export const childReporter = (
  settings: ChildSettings,
  progress: () => number
): { readonly ready: () => void; readonly fail: (error: unknown) => void } => {
  let cpuAtReady: NodeJS.CpuUsage | undefined
  const stop = () => process.exit(0)
  process.on("message", (message: HarnessMessage) => {
    if (message.type === "stop") stop()
  })
  process.on("disconnect", stop)

  const poll = setInterval(() => {
    if (cpuAtReady === undefined) return
    const processed = progress()
    if (processed < settings.expected) return
    clearInterval(poll)
    const at = Date.now()
    const cpu = process.cpuUsage(cpuAtReady)
    send({
      type: "done",
      at,
      processed,
      cpuS: (cpu.user + cpu.system) / 1e6,
      maxRssMb: process.resourceUsage().maxRSS / 1024
    })
  }, 10)

  // BENCH_ELD=1 (with --verbose): the child's event-loop delay every second (p50, p99, max), to
  // see how long the loop is blocked at a time: what an event arriving then waits, at least
  if (process.env["BENCH_ELD"] === "1") {
    const delay = monitorEventLoopDelay({ resolution: 5 })
    delay.enable()
    const ms = (ns: number) => (ns / 1e6).toFixed(1)
    setInterval(() => {
      process.stderr.write(
        `event-loop delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms, processed ${progress()}\n`
      )
      delay.reset()
    }, 1_000).unref()
  }

  // BENCH_MEMLOG=1 (with --verbose): the child's memory every second, to see what grows
  if (process.env["BENCH_MEMLOG"] === "1") {
    const mb = (n: number) => Math.round(n / 1_048_576)
    setInterval(() => {
      const m = process.memoryUsage()
      process.stderr.write(
        `mem rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} processed ${progress()}\n`
      )
    }, 1_000).unref()
  }

  return {
    ready: () => {
      if (cpuAtReady !== undefined) return
      cpuAtReady = process.cpuUsage()
      send({ type: "ready", at: Date.now() })
    },
    fail: (error) => {
      send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
      setTimeout(() => process.exit(1), 100)
    }
  }
}
