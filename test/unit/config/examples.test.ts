import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { validateSources } from "../../../src/config/loadSources.ts"

const dir = join(import.meta.dirname, "..", "..", "..", "streams")
const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name) && !name.startsWith("connections."))

describe("example streams in streams/", () => {
  const validation = validateSources({
    streams: files.map((name) => ({ path: `streams/${name}`, text: readFileSync(join(dir, name), "utf8") })),
    connections: { path: "streams/connections.yaml", text: readFileSync(join(dir, "connections.yaml"), "utf8") },
    env: {}
  })

  it("validate, with the defaults of connections.yaml (no environment needed)", () => {
    expect(validation.issues).toEqual([])
    expect(validation.warnings).toEqual([])
  })

  it("are at least three realistic streams, each with inline tests", () => {
    const streams = validation.config?.streams ?? []
    expect(streams.length).toBeGreaterThanOrEqual(3)
    for (const stream of streams) expect(stream.tests.length).toBeGreaterThan(0)
  })

  it("cover both execution modes and every destination except none", () => {
    const streams = validation.config?.streams ?? []
    expect(new Set(streams.map((s) => s.plan.execution))).toEqual(new Set(["sequential", "parallel"]))
    const modules = new Set(streams.flatMap((s) => s.plan.modules.map((m) => m.module)))
    expect([...modules].sort()).toEqual([
      "file",
      "http",
      "kafka",
      "log",
      "mqtt",
      "mysql",
      "nats",
      "postgresql",
      "rabbitmq",
      "redis"
    ])
  })

  it("point http destinations only at a local echo, allowed explicitly", () => {
    const http = (validation.config?.streams ?? []).flatMap((s) => s.plan.modules.filter((m) => m.module === "http"))
    for (const step of http) {
      const config = step.config as { readonly url: string; readonly allowed_hosts: ReadonlyArray<string> }
      expect(new URL(config.url).hostname).toBe("127.0.0.1")
      expect(config.allowed_hosts).toEqual(["127.0.0.1"])
    }
  })

  it("take the local services' addresses, with the environment able to override them", () => {
    const connections = validation.config?.connections
    expect(connections?.get("kafka_local")?.["brokers"]).toEqual(["127.0.0.1:9092"])
    expect(connections?.get("main_db")).toMatchObject({
      host: "127.0.0.1",
      port: 5432,
      user: "postgres",
      database: "test"
    })
    const overridden = validateSources({
      streams: [],
      connections: { path: "c.yaml", text: readFileSync(join(dir, "connections.yaml"), "utf8") },
      env: { KAFKA_BROKERS: "k1:9092,k2:9092", PGPORT: "6432" }
    })
    expect(overridden.config?.connections.get("kafka_local")?.["brokers"]).toEqual(["k1:9092", "k2:9092"])
    expect(overridden.config?.connections.get("main_db")?.["port"]).toBe(6432)
  })
})
