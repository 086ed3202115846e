import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
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

describe("hookstream validate and test with a payload_schema file", () => {
  const schemaStream = (expectRejected: string) =>
    [
      "id: p",
      "payload_schema: schemas/p.json",
      "chain: [{ module: log, id: a }]",
      "tests:",
      "  - name: a good order runs",
      "    event: { payload: { order_id: ord_1 } }",
      "    expect: { status: succeeded }",
      "  - name: an order without an id is refused",
      "    event: { payload: { total: 3 } }",
      `    expect: ${expectRejected}`
    ].join("\n")
  const withSchema = (streamText: string, schema: string) => {
    const path = dir({ "p.yaml": streamText })
    mkdirSync(join(path, "schemas"))
    writeFileSync(join(path, "schemas", "p.json"), schema)
    return path
  }
  const schema = JSON.stringify({
    type: "object",
    required: ["order_id"],
    properties: { order_id: { type: "string" } }
  })

  it("validate: 0 with the schema file; 1 naming the file when it is missing or not a schema", async () => {
    expect(
      await hookstream(["validate", withSchema(schemaStream("{ dlq_reason: invalid_payload }"), schema)])
    ).toMatchObject({ code: 0, stdout: "1 stream valid: p\n" })
    const missing = dir({ "p.yaml": schemaStream("{ dlq_reason: invalid_payload }") })
    const result = await hookstream(["validate", missing])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `${missing}/p.yaml:payload_schema: cannot read the schema file ${missing}/schemas/p.json (missing or not permitted)`
    )
    const typoDir = withSchema(schemaStream("{ dlq_reason: invalid_payload }"), '{"typ":"object"}')
    const typo = await hookstream(["validate", typoDir])
    expect(typo.code).toBe(1)
    expect(typo.stdout).toContain(
      `${typoDir}/p.yaml:payload_schema: ${typoDir}/schemas/p.json: not a usable JSON Schema: strict mode: unknown keyword: "typ"`
    )
  })

  it("test: a test may state that a payload is refused (dlq_reason invalid_payload, no status); a wrong expectation names the path", async () => {
    const good = await hookstream(["test", withSchema(schemaStream("{ dlq_reason: invalid_payload }"), schema)])
    expect(good.code).toBe(0)
    expect(good.stdout).toContain("PASS p › an order without an id is refused")
    const bad = await hookstream(["test", withSchema(schemaStream("{ status: succeeded }"), schema)])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain("status: expected succeeded, got (no result record)")
    expect(bad.stdout).toContain(
      "dead letter: expected none, got invalid_payload (the payload does not match the stream's payload_schema: /order_id: is required)"
    )
  })
})
