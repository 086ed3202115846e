/**
 * Scenario `broker_ceiling`: Kafka's own ProducerPerformance then ConsumerPerformance (from
 * the kafka-tools jar of the local jar cache, `java -cp` as the broker is started) on a
 * topic shaped like the input topic, with the bench event's record size and acks=all.
 * Each tool runs under GNU time when it is installed, for its peak RSS and CPU.
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Effect } from "effect"
import { findExecutable } from "../../src/kafka/local/findExecutable.ts"
import { javaOrFail } from "../../src/kafka/local/LocalKafka.ts"
import { resolveJars } from "../../src/kafka/local/resolveJars.ts"

const run = promisify(execFile)

export interface ToolRun {
  readonly stdout: string
  readonly peakRssMb: number | undefined
  readonly cpuS: number | undefined
  readonly wallS: number
}

export interface BrokerCeiling {
  readonly producer: {
    readonly eventsPerS: number
    readonly p50Ms: number
    readonly p95Ms: number
    readonly p99Ms: number
    readonly avgMs: number
    readonly maxMs: number
  }
  /** ConsumerPerformance's fetch rate (its group join excluded) */
  readonly consumerEventsPerS: number
  readonly producerRun: ToolRun
  readonly consumerRun: ToolRun
}

const runTool = async (
  java: string,
  classpath: string,
  main: string,
  args: ReadonlyArray<string>
): Promise<ToolRun> => {
  // GNU time (a file on PATH, not the shell keyword)
  const time = findExecutable("time")
  const javaArgs = ["-Xmx512M", "-Djava.awt.headless=true", "-cp", classpath, main, ...args]
  const started = Date.now()
  if (time === undefined) {
    const { stdout } = await run(java, javaArgs, { maxBuffer: 16 * 1_048_576 })
    return { stdout, peakRssMb: undefined, cpuS: undefined, wallS: (Date.now() - started) / 1_000 }
  }
  const dir = await mkdtemp(join(tmpdir(), "bench-time-"))
  try {
    const out = join(dir, "time.txt")
    const { stdout } = await run(time, ["-f", "%M %U %S", "-o", out, java, ...javaArgs], {
      maxBuffer: 16 * 1_048_576
    })
    const [maxRssKb, user, system] = (await readFile(out, "utf8")).trim().split(/\s+/).slice(-3).map(Number)
    return {
      stdout,
      peakRssMb: maxRssKb === undefined ? undefined : maxRssKb / 1_024,
      cpuS: user === undefined || system === undefined ? undefined : user + system,
      wallS: (Date.now() - started) / 1_000
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const PRODUCER_LINE =
  /(\d+) records sent, ([\d.]+) records\/sec .*?, ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/

export const parseProducerPerformance = (stdout: string): BrokerCeiling["producer"] => {
  const match = PRODUCER_LINE.exec(stdout)
  if (match === null) throw new Error(`ProducerPerformance printed no summary:\n${stdout.slice(-2_000)}`)
  const [, , rate, avg, max, p50, p95, p99] = match.map(Number)
  return {
    eventsPerS: rate ?? Number.NaN,
    avgMs: avg ?? Number.NaN,
    maxMs: max ?? Number.NaN,
    p50Ms: p50 ?? Number.NaN,
    p95Ms: p95 ?? Number.NaN,
    p99Ms: p99 ?? Number.NaN
  }
}

/** The `fetch.nMsg.sec` column of ConsumerPerformance's CSV-ish output. */
export const parseConsumerPerformance = (stdout: string): number => {
  const lines = stdout.split("\n").map((l) => l.trim())
  const headerAt = lines.findIndex((l) => l.startsWith("start.time"))
  const header = (lines[headerAt] ?? "").split(",").map((c) => c.trim())
  const values = (lines[headerAt + 1] ?? "").split(",").map((c) => c.trim())
  const column = header.indexOf("fetch.nMsg.sec")
  const value = Number(values[column])
  if (headerAt < 0 || column < 0 || !Number.isFinite(value))
    throw new Error(`ConsumerPerformance printed no summary:\n${stdout.slice(-2_000)}`)
  return value
}

export const runBrokerCeiling = async (input: {
  readonly brokers: string
  readonly topic: string
  readonly records: number
  readonly recordBytes: number
}): Promise<BrokerCeiling> => {
  const java = await Effect.runPromise(javaOrFail())
  const { classpath } = await Effect.runPromise(resolveJars())
  const producerRun = await runTool(java, classpath, "org.apache.kafka.tools.ProducerPerformance", [
    "--bootstrap-server",
    input.brokers,
    "--topic",
    input.topic,
    "--num-records",
    String(input.records),
    "--record-size",
    String(input.recordBytes),
    "--throughput",
    "-1",
    "--command-property",
    "acks=all"
  ])
  const consumerRun = await runTool(java, classpath, "org.apache.kafka.tools.ConsumerPerformance", [
    "--bootstrap-server",
    input.brokers,
    "--topic",
    input.topic,
    "--num-records",
    String(input.records),
    "--timeout",
    "60000"
  ])
  return {
    producer: parseProducerPerformance(producerRun.stdout),
    consumerEventsPerS: parseConsumerPerformance(consumerRun.stdout),
    producerRun,
    consumerRun
  }
}
