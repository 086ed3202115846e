/**
 * The operator commands as a user runs them (a child process, output not a TTY, so JSON):
 * topics create, dlq stats|list|show, replay --dry-run --json.
 */
import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { TestConsole } from "effect/testing"
import { ConfigResourceTypes } from "kafkajs"
import { describe, expect, it } from "vitest"
import { runCli } from "../../../src/cli/runCli.ts"
import { kafkaBrokers, uniqueName, withAdmin } from "../../support/kafka.ts"
import { freshTopics, testKafkaClient } from "../processor/harness.ts"
import { type Letter, produceLetters } from "./dlqFixtures.ts"

const root = join(import.meta.dirname, "..", "..", "..")
const kafka = testKafkaClient()

/** In-process, through the executable's entry (faster than a process per call). */
const cli = (args: ReadonlyArray<string>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const code = yield* runCli(args)
      const text = (lines: ReadonlyArray<unknown>) => lines.map(String).join("\n")
      return { code, stdout: text(yield* TestConsole.logLines), stderr: text(yield* TestConsole.errorLines) }
    }).pipe(Effect.provide(TestConsole.layer), Effect.provide(NodeServices.layer))
  )

/** As a user runs it: a process whose stdout is a pipe (JSON, logs on stderr). */
const hookstream = async (args: ReadonlyArray<string>) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(root, "bin", "hookstream.js"), ...args],
      {
        cwd: root,
        env: { PATH: process.env["PATH"] ?? "", KAFKA_BROKERS: kafkaBrokers() }
      }
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

const now = Date.now()
const letters: ReadonlyArray<Letter> = Array.from({ length: 6 }, (_, seq) => ({
  seq,
  webhook: seq < 4 ? "orders" : "audit",
  reason: seq === 5 ? "unknown_webhook" : "chain_failed",
  key: `k${seq % 2}`,
  failed: seq % 2 === 0 ? ["crm"] : ["crm", "mail"],
  succeeded: ["store"],
  replayCount: seq === 3 ? 2 : 0,
  failedAt: seq < 3 ? now - 3 * 86_400_000 : now - 60_000,
  id: `evt-${seq}`
}))

describe("operator CLI", () => {
  it("topics create: creates with partitions and retention, then reports them as existing", async () => {
    const base = uniqueName("cli")
    const args = ["topics", "create", "--input", `${base}.in`, "--results", `${base}.res`, "--dlq", `${base}.dlq`]
    const first = await hookstream([...args, "--partitions", "3", "--dlq-partitions", "1", "--dlq-retention", "30d"])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain(`created ${base}.in (3 partitions)`)
    expect(first.stdout).toContain(`created ${base}.dlq (1 partitions, retention 30d)`)
    const again = await hookstream(args)
    expect(again.stdout).toContain(`exists  ${base}.dlq (1 partitions)`)
    const configs = await withAdmin(kafka, (admin) =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: `${base}.dlq`, configNames: ["retention.ms"] }]
      })
    )
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe("2592000000")
  })

  it("dlq stats, list and show read the DLQ; replay --dry-run --json says what would be replayed", async () => {
    const topics = await freshTopics(kafka, 1)
    await produceLetters(kafka, topics.dlq, topics.input, letters)
    const dlq = ["--dlq", topics.dlq]

    const stats = await hookstream(["dlq", "stats", ...dlq, "--json"])
    expect(stats.code, stats.stderr).toBe(0)
    expect(JSON.parse(stats.stdout)).toMatchObject({
      total: 6,
      byWebhook: { orders: 4, audit: 2 },
      byReason: { chain_failed: 5, unknown_webhook: 1 },
      byModule: { crm: 5, mail: 2 },
      byAge: { "< 1h": 3, "1d–7d": 3 },
      byReplayCount: { "0": 5, "2": 1 }
    })
    const brokers = ["--brokers", kafkaBrokers()]
    const [recent, list, newest, byCoordinate, byEvent, missing, dry] = await Promise.all(
      [
        ["dlq", "stats", ...dlq, "--since", "1h", "--json"],
        ["dlq", "list", ...dlq, "--webhook", "orders", "--module", "mail"],
        ["dlq", "list", ...dlq, "--limit", "2", "--json"],
        ["dlq", "show", ...dlq, "0:2"],
        ["dlq", "show", ...dlq, "evt-5"],
        ["dlq", "show", ...dlq, "0:99"],
        ["replay", ...dlq, "--input", topics.input, "--webhook", "orders", "--dry-run", "--max-replays", "2", "--json"]
      ].map((args) => cli([...args, ...brokers]))
    )
    if (!recent || !list || !newest || !byCoordinate || !byEvent || !missing || !dry) throw new Error("missing output")
    expect(JSON.parse(recent.stdout).total).toBe(3)

    expect(list.code, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ coordinate: `${topics.dlq}:0:1`, event_id: "evt-1", failed_modules: ["crm", "mail"] }),
      expect.objectContaining({ coordinate: `${topics.dlq}:0:3`, event_id: "evt-3", replay_count: 2, key: "k1" })
    ])
    expect(JSON.parse(newest.stdout).map((e: { event_id: string }) => e.event_id)).toEqual(["evt-4", "evt-5"])

    expect(byCoordinate.code, byCoordinate.stderr).toBe(0)
    const detail = JSON.parse(byCoordinate.stdout)
    expect(detail).toMatchObject({ coordinate: `${topics.dlq}:0:2`, key: "k0", record: { event_id: "evt-2" } })
    expect(detail.headers["hookstream-dlq-reason"]).toBe("chain_failed")
    expect(JSON.parse(byEvent.stdout)).toEqual([
      expect.objectContaining({ record: expect.objectContaining({ reason: "unknown_webhook" }) })
    ])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("no record at 0:99")

    expect(dry.code, dry.stderr).toBe(0)
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dry_run: true,
      matched: 4,
      published: 0,
      skipped_max_replays: 1,
      skipped: [{ coordinate: `${topics.dlq}:0:3`, eventId: "evt-3", replayCount: 2 }]
    })
    const end = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topics.input))
    expect(end.every((p) => p.high === "0")).toBe(true)
  })
})
