// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config values use the literal ${VAR} syntax
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { validateSources } from "../../../src/config/loadSources.ts"
import { hookstream } from "./hookstreamProcess.ts"

const webhooks = {
  orders: {
    chain: [
      { module: "postgres", connection: "local_pg", "module-config": { table: "orders" } },
      {
        module: "kafka",
        connection: "kafka_local",
        "module-config": { topic: "order-events" },
        retry: { enabled: true, max_attempts: 4 }
      }
    ],
    "chain-config": { execution: "parallel", continue_on_error: false, timeout: 20 }
  },
  audit: { module: "log" }
}
const connections = {
  local_pg: {
    type: "postgresql",
    host: "127.0.0.1",
    port: 5432,
    database: "test",
    user: "postgres",
    password: "hunter2"
  },
  kafka_local: { type: "kafka", bootstrap_servers: "127.0.0.1:9092" }
}

const legacyDir = (hooks: unknown = webhooks) => {
  const dir = mkdtempSync(join(tmpdir(), "hookstream-import-"))
  writeFileSync(join(dir, "webhooks.json"), JSON.stringify(hooks))
  writeFileSync(join(dir, "connections.json"), JSON.stringify(connections))
  return dir
}

describe("hookstream import", () => {
  it("writes one stream file per webhook and a connections.yaml that load as the same plans", async () => {
    const dir = legacyDir()
    const out = join(dir, "streams")
    const result = await hookstream(["import", join(dir, "webhooks.json"), "--out", out])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`wrote ${out}/orders.yaml`)
    expect(result.stdout).toContain("set these variables (their values are in")
    expect(result.stdout).toContain("LOCAL_PG_PASSWORD")
    const written = readFileSync(join(out, "connections.yaml"), "utf8")
    expect(written).toContain("password: ${LOCAL_PG_PASSWORD}")
    expect(written).not.toContain("hunter2")

    const read = (name: string) => ({ path: join(out, name), text: readFileSync(join(out, name), "utf8") })
    const converted = validateSources({
      streams: [read("orders.yaml"), read("audit.yaml")],
      connections: read("connections.yaml"),
      env: { LOCAL_PG_PASSWORD: "hunter2" }
    })
    const original = validateSources({
      streams: [{ path: "webhooks.json", text: JSON.stringify(webhooks) }],
      connections: { path: "connections.json", text: JSON.stringify(connections) },
      env: {}
    })
    expect(converted.issues).toEqual([])
    for (const id of ["orders", "audit"]) {
      expect(converted.config?.byWebhookId.get(id)?.plan).toEqual(original.config?.byWebhookId.get(id)?.plan)
    }
    expect((await hookstream(["validate", out], { LOCAL_PG_PASSWORD: "x" })).code).toBe(0)
  })

  it("refuses to overwrite existing files without --force", async () => {
    const dir = legacyDir()
    const out = join(dir, "streams")
    expect((await hookstream(["import", join(dir, "webhooks.json"), "--out", out])).code).toBe(0)
    writeFileSync(join(out, "orders.yaml"), "# edited by hand\n")
    const again = await hookstream(["import", join(dir, "webhooks.json"), "--out", out])
    expect(again.code).toBe(1)
    expect(again.stdout).toContain(`${out}/orders.yaml: already exists (use --force to overwrite)`)
    expect(readFileSync(join(out, "orders.yaml"), "utf8")).toBe("# edited by hand\n")
    expect((await hookstream(["import", join(dir, "webhooks.json"), "--out", out, "--force"])).code).toBe(0)
    expect(readFileSync(join(out, "orders.yaml"), "utf8")).toContain("id: orders")
  })

  it("writes nothing when the legacy config has errors, and prints them", async () => {
    const dir = legacyDir({ bad: { chain: ["nonexistent_module"] } })
    const out = join(dir, "streams")
    const result = await hookstream(["import", join(dir, "webhooks.json"), "--out", out])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(`${dir}/webhooks.json:bad.chain.0: module 'nonexistent_module' is not registered\n`)
    expect(existsSync(out)).toBe(false)
  })

  it("exits 2 without the webhooks.json argument", async () => {
    expect((await hookstream(["import"])).code).toBe(2)
  })
})
