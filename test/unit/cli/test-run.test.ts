import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { hookstream } from "./hookstreamProcess.ts"

const dir = (files: Record<string, string>): string => {
  const path = mkdtempSync(join(tmpdir(), "hookstream-cli-"))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text)
  return path
}

const stream = (expectStatus: string) =>
  [
    "id: t",
    "execution: parallel",
    "continue_on_error: false",
    "timeout: 2s",
    "chain:",
    "  - { module: log, id: a }",
    "  - { module: log, id: b }",
    "tests:",
    "  - name: b hangs",
    "    event: { payload: { n: 1 } }",
    "    modules: { b: { behaviour: hang } }",
    "    expect:",
    `      status: ${expectStatus}`,
    "      modules: { a: succeeded, b: timed_out }",
    "      dlq_reason: timed_out"
  ].join("\n")

describe("hookstream test", () => {
  it("exits 0 with a PASS line per test on the examples", async () => {
    const result = await hookstream(["test"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("PASS orders › every sink accepts the order")
    expect(result.stdout).toMatch(/\d+ passed, 0 failed/)
    // only the report: the simulated runs' log lines (failing cases dead-letter) need --verbose
    for (const line of result.stdout.trim().split("\n"))
      expect(line).toMatch(/^(PASS|FAIL|\(no inline|\d+ passed| {5})/)
    const verbose = await hookstream(["test", "--verbose"])
    expect(verbose.code).toBe(0)
    expect(`${verbose.stdout}${verbose.stderr}`).toContain("event dead-lettered")
  })

  it("exits 1 with the mismatch when a test's expectation is wrong", async () => {
    const good = await hookstream(["test", dir({ "t.yaml": stream("timed_out") })])
    expect(good.code).toBe(0)
    const bad = await hookstream(["test", dir({ "t.yaml": stream("succeeded") })])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain("FAIL t › b hangs")
    expect(bad.stdout).toContain("status: expected succeeded, got timed_out")
  })
})

describe("hookstream run", () => {
  it("refuses invalid streams before consuming anything, with validate's messages (exit 1)", async () => {
    const path = dir({ "x.yaml": "id: x\nchain:\n  - module: htp\n" })
    // no broker at this address: the run must stop at the streams, before any Kafka call
    const result = await hookstream(["run", "--streams", path, "--brokers", "127.0.0.1:1"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${path}/x.yaml:chain.0.module: unknown module 'htp' (did you mean 'http'?)`)
    expect(result.stderr).toContain("nothing consumed")
  })

  it("rejects a malformed duration flag as a usage error (exit 2)", async () => {
    const result = await hookstream(["run", "--shutdown-timeout", "soon", "--brokers", "127.0.0.1:1"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--shutdown-timeout")
  })

  it("rejects a session timeout that is not a duration of at least 1s (exit 2)", async () => {
    for (const value of ["soon", "500ms"]) {
      const result = await hookstream(["run", "--session-timeout", value, "--brokers", "127.0.0.1:1"])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("--session-timeout")
    }
  })
})
