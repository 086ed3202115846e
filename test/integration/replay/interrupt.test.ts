/**
 * `hookstream replay --name` as its own process, stopped halfway (SIGKILL, and Ctrl-C's
 * SIGINT), then run again with the same name: every dead letter ends up on the input topic
 * exactly once for a read_committed reader (the processor).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { consumeRecords, kafkaBrokers, uniqueName, withAdmin } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, type Topics, testKafkaClient } from "../processor/harness.ts"
import { H, header, type Letter, produceLetters } from "./dlqFixtures.ts"

const root = join(import.meta.dirname, "..", "..", "..")
const kafka = testKafkaClient()

interface Child {
  readonly proc: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

const children: Array<Child> = []
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL")
    await c.exited
  }
})

const hookstream = (args: ReadonlyArray<string>): Child => {
  const proc = spawn(process.execPath, [join(root, "bin", "hookstream.js"), ...args], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers() },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  proc.stdout?.on("data", (d) => {
    out += d.toString()
  })
  proc.stderr?.on("data", (d) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)))
  const child = { proc, output: () => out, exited }
  children.push(child)
  return child
}

const COUNT = 150

const letters: ReadonlyArray<Letter> = Array.from({ length: COUNT }, (_, seq) => ({
  seq,
  webhook: "orders",
  reason: "chain_failed",
  key: `k${seq % 7}`,
  failed: ["notify"],
  succeeded: ["store"],
  failedAt: Date.now() - 60_000 + seq,
  id: `evt-${seq}`
}))

/** The DLQ offset the named replay recorded (0 when none yet). */
const recorded = (topics: Topics, name: string) =>
  withAdmin(kafka, async (admin) => {
    const offsets = await admin.fetchOffsets({ groupId: `hookstream-replay-${name}`, topics: [topics.dlq] })
    return Math.max(0, ...offsets.flatMap((t) => t.partitions.map((p) => Number(p.offset))))
  })

const watchUncommitted = async (topic: string) => {
  const consumer = kafka.consumer({ groupId: uniqueName("uncommitted"), readUncommitted: true, maxWaitTimeInMs: 100 })
  let count = 0
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async () => {
      count++
    }
  })
  watchers.push(consumer)
  return { count: () => count }
}

const watchers: Array<{ disconnect: () => Promise<void> }> = []
afterEach(async () => {
  for (const w of watchers.splice(0)) await w.disconnect()
})

const stopHalfwayAndRerun = async (signal: "SIGKILL" | "SIGINT") => {
  const topics = await freshTopics(kafka, 2)
  await produceLetters(kafka, topics.dlq, topics.input, letters)
  const name = uniqueName("resume")
  const args = ["replay", "--dlq", topics.dlq, "--input", topics.input, "--name", name]
  // everything that reaches the input topic, committed or not, as a read_uncommitted reader sees it
  const seen = await watchUncommitted(topics.input)
  const first = hookstream([...args, "--rate", "50/s"])
  // stop it while a transaction is open: records sent beyond the recorded position
  let at = 0
  await waitFor(
    async () => {
      at = await recorded(topics, name)
      return at >= 30 && seen.count() > at
    },
    {
      timeoutMs: 30_000,
      intervalMs: 20,
      description: () =>
        `a recorded position ≥ 30 (${at}) and uncommitted records beyond it (${seen.count()}) (output: ${first.output().slice(-1_000)})`
    }
  )
  first.proc.kill(signal)
  const code = await first.exited
  const stoppedAt = await recorded(topics, name)
  // it really stopped halfway
  expect(stoppedAt).toBeLessThan(COUNT)

  const second = hookstream(args)
  expect(await second.exited, second.output()).toBe(0)
  expect(second.output()).toContain("continued from the position recorded by an earlier run")
  expect(await recorded(topics, name)).toBe(COUNT)

  // read_committed, as the processor reads: each dead letter exactly once
  const published = await consumeRecords(kafka, { topic: topics.input, count: COUNT })
  const sources = published.map((r) => header(r.headers, H.REPLAY_OF))
  expect(sources).toHaveLength(COUNT)
  expect(new Set(sources)).toEqual(new Set(letters.map((l) => `${topics.dlq}:0:${l.seq}`)))
  // per-key order kept: within a key, DLQ order
  const byKey = new Map<string, Array<number>>()
  for (const r of published) {
    const seq = Number(header(r.headers, H.REPLAY_OF)?.split(":").at(-1))
    byKey.set(r.key ?? "", [...(byKey.get(r.key ?? "") ?? []), seq])
  }
  for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  return { code, output: first.output() }
}

describe("replay stopped halfway", () => {
  it("killed (SIGKILL) and run again with the same name: every record replayed exactly once", async () => {
    const { code } = await stopHalfwayAndRerun("SIGKILL")
    expect(code).toBeNull()
  })

  it("Ctrl-C (SIGINT) stops cleanly with exit 0 and says how to continue", async () => {
    const { code, output } = await stopHalfwayAndRerun("SIGINT")
    expect(code).toBe(0)
    expect(output).toMatch(/replay interrupted after \d+ published; run it again with --name/)
  })
})
