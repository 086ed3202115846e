// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config values use the literal ${VAR} syntax
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { loadConnectionsDocument } from "../../../src/config/loadConnections.ts"
import { connections, only, problems, stream, validate } from "./fixtures.ts"

const load = (document: unknown, env: Record<string, string> = {}) => loadConnectionsDocument("c.yaml", document, env)
const lines = (document: unknown, env: Record<string, string> = {}) =>
  load(document, env).issues.map((i) => `${i.path}: ${i.message}`)

describe("connections file", () => {
  it("decodes every type with its defaults", () => {
    const loaded = load(connections)
    expect(loaded.issues).toEqual([])
    expect([...loaded.connections.keys()].sort()).toEqual(Object.keys(connections).sort())
    expect(loaded.connections.get("main_db")).toMatchObject({
      type: "postgresql",
      port: 5432,
      max_in_flight: 64,
      circuit_breaker: { failure_threshold: 5, cooldown: 30_000 },
      pool_size: 10
    })
    expect(loaded.connections.get("kafka_local")).toMatchObject({
      brokers: ["127.0.0.1:9092"],
      client_id: "hookstream"
    })
  })

  it("decodes secrets as Redacted, so printing a connection never shows them", () => {
    const entry = load({
      db: { type: "postgresql", host: "h", database: "d", user: "u", password: "hunter2" }
    }).connections.get("db")
    expect(Redacted.isRedacted(entry?.["password"])).toBe(true)
    expect(Redacted.value(entry?.["password"] as Redacted.Redacted<string>)).toBe("hunter2")
    expect(JSON.stringify(entry)).not.toContain("hunter2")
    expect(String(entry?.["password"])).not.toContain("hunter2")
  })

  it("never echoes a secret in an error", () => {
    const messages = lines({
      db: { type: "postgresql", connection_string: "mysql://admin:hunter2@db/x" },
      q: { type: "rabbitmq", url: "http://guest:hunter3@q" }
    })
    expect(messages).toEqual([
      "db.connection_string: expected a postgres:// or postgresql:// connection string",
      "q.url: expected an amqp:// or amqps:// URL"
    ])
    expect(messages.join("\n")).not.toMatch(/hunter/)
  })

  it("substitutes ${VAR} and ${VAR:-default}, coercing whole references to numbers where a number is expected", () => {
    const loaded = load(
      {
        db: {
          type: "postgresql",
          host: "${PGHOST:-localhost}",
          port: "${PGPORT}",
          database: "d",
          user: "u",
          password: "${PGPASSWORD}"
        }
      },
      { PGPORT: "6543", PGPASSWORD: "s3cret" }
    )
    expect(loaded.issues).toEqual([])
    expect(loaded.connections.get("db")).toMatchObject({ host: "localhost", port: 6543 })
  })

  it("does not coerce literal strings in the file: quoted numbers stay an error", () => {
    expect(lines({ db: { type: "redis", host: "h", port: "6379" } })).toEqual([
      "db.port: expected a port between 1 and 65535, got '6379'"
    ])
  })

  it("reports an unset variable once, naming it and the path, and hides values from the environment", () => {
    expect(lines({ db: { type: "redis", host: "h", password: "${REDIS_PW}" } })).toEqual([
      "db.password: environment variable REDIS_PW is not set (write ${REDIS_PW:-default} for a default)"
    ])
    // coerced to a number, still out of range, and not echoed: it came from the environment
    expect(lines({ db: { type: "redis", host: "h", port: "${PORT}" } }, { PORT: "99999" })).toEqual([
      "db.port: expected a port between 1 and 65535, got a value from the environment"
    ])
    expect(lines({ db: { type: "redis", host: "h", port: "x${PORT}" } }, { PORT: "1" })).toEqual([
      "db.port: expected a port between 1 and 65535, got a value from the environment"
    ])
  })

  it("rejects unknown types with a suggestion, and missing types", () => {
    expect(lines({ a: { type: "postgress" }, b: { host: "x" }, c: "redis" })).toEqual([
      "a.type: unknown connection type 'postgress' (did you mean 'postgresql'?)",
      "b.type: missing required key 'type' (one of http, kafka, postgresql, mysql, redis, rabbitmq, mqtt, nats)",
      "c: expected a mapping with a 'type', got 'redis'"
    ])
  })

  it("rejects unknown keys with suggestions and checks the common fields' bounds", () => {
    expect(
      lines({ a: { type: "redis", host: "h", max_inflight: 3, circuit_breaker: { failure_threshold: 0 } } })
    ).toEqual([
      "a.max_inflight: unknown key 'max_inflight' (did you mean 'max_in_flight'?)",
      "a.circuit_breaker.failure_threshold: expected an integer between 1 and 1000, got 0"
    ])
    expect(lines({ a: { type: "redis", host: "h", max_in_flight: 10_001 } })).toEqual([
      "a.max_in_flight: expected an integer between 1 and 10000, got 10001"
    ])
    expect(load({ a: { type: "redis", host: "h", max_in_flight: 10_000 } }).issues).toEqual([])
  })

  it("checks connection names", () => {
    expect(lines({ "bad name": { type: "redis", host: "h" } })[0]).toMatch(/^bad name: invalid connection name/)
  })

  it("needs one of url or host for url-capable types", () => {
    expect(lines({ a: { type: "redis" }, b: { type: "mqtt", url: "mqtt://x", host: "x" } })).toEqual([
      "a: needs url or host",
      "b: give either url or host, not both"
    ])
  })

  it("accepts brokers and servers as a list or one comma-separated string", () => {
    const loaded = load({
      k: { type: "kafka", brokers: "a:9092, b:9093" },
      n: { type: "nats", servers: ["nats://a:4222", "b:4222"] }
    })
    expect(loaded.connections.get("k")?.["brokers"]).toEqual(["a:9092", "b:9093"])
    expect(loaded.connections.get("n")?.["servers"]).toEqual(["nats://a:4222", "b:4222"])
    expect(lines({ k: { type: "kafka", brokers: "a" } })).toEqual([
      "k.brokers: expected host:port such as 127.0.0.1:9092, got 'a'"
    ])
  })

  it("an empty file is no connections, a non-mapping is an error", () => {
    expect(load(null).issues).toEqual([])
    expect(lines([1])).toEqual([": expected a mapping of connection name to connection, got a list"])
  })

  it("a step naming an invalid entry is not told the entry does not exist", () => {
    const validation = validate(stream([{ module: "redis", connection: "cache", config: { channel: "c" } }]), {
      connections: { cache: { type: "redis" } }
    })
    expect(problems(validation)).toEqual(["cache: needs url or host"])
  })

  it("feeds the loaded map of the whole configuration", () => {
    const validation = validate(stream([{ module: "log" }]))
    expect(only(validation)).toBeDefined()
    expect(validation.config?.connections.get("bus")?.type).toBe("nats")
    expect(Object.isFrozen(validation.config?.connections.get("bus"))).toBe(true)
  })
})
