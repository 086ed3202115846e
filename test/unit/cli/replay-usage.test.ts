/**
 * The operator commands' usage errors (exit 2, naming the flag, before anything connects to
 * Kafka) and help, run in-process through the same entry as the executable.
 */
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { TestConsole } from "effect/testing"
import { describe, expect, it } from "vitest"
import { runCli } from "../../../src/cli/runCli.ts"

const cli = (args: ReadonlyArray<string>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const code = yield* runCli(args)
      const text = (lines: ReadonlyArray<unknown>) => lines.map(String).join("\n")
      return { code, stdout: text(yield* TestConsole.logLines), stderr: text(yield* TestConsole.errorLines) }
    }).pipe(Effect.provide(TestConsole.layer), Effect.provide(NodeServices.layer))
  )

// nothing listens here: a command that tried to connect would fail with exit 1, not 2
const brokers = ["--brokers", "127.0.0.1:9"]

describe("operator commands: usage", () => {
  it.each([
    [["replay", "--rate", "fast"], "--rate"],
    [["replay", "--max-replays", "0"], "--max-replays"],
    [["replay", "--name", "has space"], "--name"],
    [["replay", "--reason", "broken"], "--reason"],
    [["dlq", "list", "--since", "yesterday"], "--since"],
    [["dlq", "stats", "--from-offset", "x"], "--from-offset"],
    [["topics", "create", "--dlq-retention", "7x"], "--dlq-retention"],
    [["topics", "create", "--partitions", "0"], "--partitions"]
  ])("hookstream %j exits 2 naming the flag", async (args, flag) => {
    const result = await cli([...args, ...brokers])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(flag)
  })

  it("every command's --help lists its flags and examples", async () => {
    const replay = await cli(["replay", "--help"])
    for (const flag of [
      "--webhook",
      "--reason",
      "--module",
      "--key",
      "--since",
      "--until",
      "--from-offset",
      "--name",
      "--all-modules",
      "--dry-run",
      "--rate",
      "--max-replays",
      "--batch-size",
      "--json",
      "--brokers",
      "--dlq",
      "--input"
    ])
      expect(replay.stdout).toContain(flag)
    expect(replay.stdout).toContain("EXAMPLES")
    for (const sub of ["stats", "list", "show"]) {
      const help = await cli(["dlq", sub, "--help"])
      expect(help.stdout).toContain("--dlq")
      expect(help.stdout).toContain("--json")
      expect(help.stdout).toContain("EXAMPLES")
    }
    const topics = await cli(["topics", "create", "--help"])
    for (const flag of ["--partitions", "--dlq-partitions", "--replication-factor", "--retention", "--dlq-retention"])
      expect(topics.stdout).toContain(flag)
    const root = await cli(["--help"])
    for (const command of ["dlq", "replay", "topics", "send", "run"]) expect(root.stdout).toContain(command)
  })
})
