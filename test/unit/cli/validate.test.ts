// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config values use the literal ${VAR} syntax
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

const broken = {
  "b.yaml": [
    "id: b",
    "continue_on_eror: false",
    "chain:",
    "  - module: htp",
    "  - { module: log, retry: { max_attempts: true } }"
  ].join("\n"),
  "a.yaml": ["id: a", "chain:", "  - module: postgresql", "    connection: main_db"].join("\n"),
  "connections.yaml": "cache: { type: redis, host: 127.0.0.1 }"
}

describe("hookstream validate", () => {
  it("exits 0 on the example streams and says which streams are valid", async () => {
    const result = await hookstream(["validate"])
    expect(result).toMatchObject({
      code: 0,
      stdout: "5 streams valid: github-events, github-push, orders, payments, stripe\n"
    })
  })

  it("exits 1 and prints every error as <file>:<path>: <reason>, sorted by file then path", async () => {
    const path = dir(broken)
    const result = await hookstream(["validate", path])
    expect(result.code).toBe(1)
    expect(result.stdout.split("\n").filter((l) => l !== "")).toEqual([
      `${path}/a.yaml:chain.0.connection: connection 'main_db' does not exist (it is not in ${path}/connections.yaml)`,
      `${path}/b.yaml:chain.0.module: unknown module 'htp' (did you mean 'http'?)`,
      `${path}/b.yaml:chain.1.retry.max_attempts: expected an integer between 1 and 10, got true (booleans are not numbers)`,
      `${path}/b.yaml:continue_on_eror: unknown key 'continue_on_eror' (did you mean 'continue_on_error'?)`
    ])
    expect(result.stderr).toBe("4 problems found\n")
  })

  it("prints the same as JSON with --json", async () => {
    const path = dir(broken)
    const result = await hookstream(["validate", "--json", join(path, "b.yaml")])
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toEqual({
      valid: false,
      errors: [
        { file: `${path}/b.yaml`, path: "chain.0.module", message: "unknown module 'htp' (did you mean 'http'?)" },
        {
          file: `${path}/b.yaml`,
          path: "chain.1.retry.max_attempts",
          message: "expected an integer between 1 and 10, got true (booleans are not numbers)"
        },
        {
          file: `${path}/b.yaml`,
          path: "continue_on_eror",
          message: "unknown key 'continue_on_eror' (did you mean 'continue_on_error'?)"
        }
      ],
      warnings: []
    })
    const valid = await hookstream(["validate", "--json"])
    expect(JSON.parse(valid.stdout)).toEqual({ valid: true, errors: [], warnings: [] })
  })

  it("reports YAML syntax errors as <file>:<line>:<col>", async () => {
    const path = dir({ "s.yaml": "id: s\nchain: [\n" })
    const result = await hookstream(["validate", path])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(new RegExp(`^${path}/s\\.yaml:3:1: `))
  })

  it("never prints a secret, whether the value is malformed or comes from the environment", async () => {
    const path = dir({
      "s.yaml": "id: s\nchain:\n  - { module: postgresql, connection: db }\n",
      "connections.yaml": "db: { type: postgresql, connection_string: 'mysql://admin:hunter2@db/x', port: '${PORT}' }"
    })
    const result = await hookstream(["validate", path], { PORT: "hunter3" })
    expect(result.code).toBe(1)
    expect(result.stdout).not.toMatch(/hunter/)
    expect(result.stdout).toContain("db.port: expected a port between 1 and 65535, got a value from the environment")
  })

  it("takes the connections file from --connections", async () => {
    const path = dir({
      "a.yaml": broken["a.yaml"],
      "db.yaml": "main_db: { type: postgresql, host: h, database: d, user: u }"
    })
    expect((await hookstream(["validate", join(path, "a.yaml"), "--connections", join(path, "db.yaml")])).code).toBe(0)
  })

  it("exits 2 on usage errors: unknown flag, unknown command, no command", async () => {
    const flag = await hookstream(["validate", "--strict"])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain("Unrecognized flag: --strict")
    expect((await hookstream(["valdate"])).code).toBe(2)
    expect((await hookstream([])).code).toBe(2)
    expect((await hookstream(["validate", "--connections"])).code).toBe(2)
  })

  it("has complete help, exiting 0", async () => {
    const help = await hookstream(["validate", "--help"])
    expect(help.code).toBe(0)
    for (const part of ["--connections", "--json", "paths", "Exit 0 valid, 1 invalid, 2 usage error"]) {
      expect(help.stdout).toContain(part)
    }
    const root = await hookstream(["--help"])
    expect(root.stdout).toMatch(/validate\s+Check stream definitions/)
    expect(root.stdout).toMatch(/import\s+Convert the original system's webhooks\.json/)
  })
})
