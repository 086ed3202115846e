import { describe, expect, it } from "vitest"
import { moduleAliases } from "../../../src/modules/registry.ts"
import { connections, only, problems, stream, validate } from "./fixtures.ts"

const http = { module: "http", config: { url: "https://example.com/hook" } }

describe("modules", () => {
  it("accepts the original system's names as aliases of ours", () => {
    const steps = [
      { module: "http_webhook", config: { url: "https://example.com/h" } },
      { module: "save_to_disk" },
      { module: "postgres", connection: "main_db" },
      { module: "mariadb", connection: "ledger" },
      { module: "redis_publish", connection: "cache", config: { channel: "c" } }
    ]
    const plan = only(validate(stream(steps))).plan
    expect(plan.modules.map((m) => m.module)).toEqual(["http", "file", "postgresql", "mysql", "redis"])
    expect(Object.keys(moduleAliases).sort()).toEqual([
      "http_webhook",
      "mariadb",
      "postgres",
      "redis_publish",
      "save_to_disk"
    ])
  })

  it("suggests the closest module name for a typo", () => {
    expect(problems(validate(stream([{ module: "postgresq" }])))).toEqual([
      "chain.0.module: unknown module 'postgresq' (did you mean 'postgresql'?)"
    ])
  })

  it("asks for a mapping when a step is written the legacy way", () => {
    expect(problems(validate(stream(["log"])))).toEqual([
      "chain.0: expected a step mapping such as { module: log }, got 'log'"
    ])
    expect(problems(validate(stream([42])))).toEqual(["chain.0: expected a step mapping, got 42"])
  })

  it("decodes config with the module's schema: defaults filled, unknown keys rejected with suggestions", () => {
    const plan = only(validate(stream([http]))).plan
    expect(plan.modules[0]?.config).toEqual({
      url: "https://example.com/hook",
      method: "POST",
      headers: {},
      allowed_hosts: [],
      forward_headers: []
    })
    expect(problems(validate(stream([{ module: "http", config: { url: "https://e.com", metod: "PUT" } }])))).toEqual([
      "chain.0.config.metod: unknown key 'metod' (did you mean 'method'?)"
    ])
  })

  it("treats an empty config (config: with nothing after it) as {}", () => {
    expect(only(validate(stream([{ module: "log", config: null }]))).plan.modules[0]?.config).toMatchObject({
      level: "info"
    })
  })

  it("rejects unknown step keys", () => {
    expect(problems(validate(stream([{ module: "log", retries: 3 }])))).toEqual([
      "chain.0.retries: unknown key 'retries' (did you mean 'retry'?)"
    ])
  })
})

describe("module ids", () => {
  it("default to <module>-<index>, 0-based, with the canonical module name", () => {
    const plan = only(
      validate(stream([{ module: "log" }, { module: "save_to_disk" }, { module: "log", id: "audit" }]))
    ).plan
    expect(plan.modules.map((m) => [m.id, m.index])).toEqual([
      ["log-0", 0],
      ["file-1", 1],
      ["audit", 2]
    ])
  })

  it("must be unique within a chain, including against default ids", () => {
    expect(
      problems(
        validate(
          stream([
            { module: "log", id: "a" },
            { module: "log", id: "a" }
          ])
        )
      )
    ).toEqual(["chain.1.id: duplicate module id 'a' (also chain.0); ids must be unique in a chain"])
    expect(problems(validate(stream([{ module: "log" }, { module: "log", id: "log-0" }])))).toEqual([
      "chain.1.id: duplicate module id 'log-0' (also chain.0); ids must be unique in a chain"
    ])
  })

  it("have the same shape as stream ids (they go into headers and keys)", () => {
    expect(problems(validate(stream([{ module: "log", id: "a,b" }])))[0]).toMatch(/^chain\.0\.id: expected a module id/)
  })
})

describe("retry", () => {
  const retry = (r: unknown) => validate(stream([{ module: "log", retry: r }]))

  it("defaults to 3 attempts, 200ms, 5s, ×2, jitter", () => {
    expect(only(retry({})).plan.modules[0]?.retry).toEqual({
      maxAttempts: 3,
      initialDelayMs: 200,
      maxDelayMs: 5000,
      multiplier: 2,
      jitter: true
    })
  })

  it("allows max_attempts 1 to 10", () => {
    expect(only(retry({ max_attempts: 1 })).plan.modules[0]?.retry.maxAttempts).toBe(1)
    expect(only(retry({ max_attempts: 10 })).plan.modules[0]?.retry.maxAttempts).toBe(10)
    for (const bad of [0, 11, -1, 2.5]) {
      expect(problems(retry({ max_attempts: bad }))).toEqual([
        `chain.0.retry.max_attempts: expected an integer between 1 and 10, got ${bad}`
      ])
    }
    expect(problems(retry({ max_attempts: true }))).toEqual([
      "chain.0.retry.max_attempts: expected an integer between 1 and 10, got true (booleans are not numbers)"
    ])
    expect(problems(retry({ max_attempts: "3" }))).toEqual([
      "chain.0.retry.max_attempts: expected an integer between 1 and 10, got '3'"
    ])
  })

  it("caps max_delay at 30s", () => {
    expect(only(retry({ max_delay: "30s" })).plan.modules[0]?.retry.maxDelayMs).toBe(30_000)
    expect(problems(retry({ max_delay: "30001ms" }))).toEqual([
      "chain.0.retry.max_delay: expected a duration of at most 30s, got '30001ms'"
    ])
  })

  it("allows a multiplier from 1 to 10", () => {
    expect(only(retry({ multiplier: 1 })).plan.modules[0]?.retry.multiplier).toBe(1)
    expect(only(retry({ multiplier: 10 })).plan.modules[0]?.retry.multiplier).toBe(10)
    expect(problems(retry({ multiplier: 0.5 }))).toEqual([
      "chain.0.retry.multiplier: expected a number between 1 and 10, got 0.5"
    ])
    expect(problems(retry({ multiplier: 10.5 }))).toEqual([
      "chain.0.retry.multiplier: expected a number between 1 and 10, got 10.5"
    ])
    expect(problems(retry({ multiplier: false }))).toEqual([
      "chain.0.retry.multiplier: expected a number between 1 and 10, got false (booleans are not numbers)"
    ])
  })

  it("refuses an initial delay above the maximum delay", () => {
    expect(problems(retry({ initial_delay: "6s" }))).toEqual([
      "chain.0.retry: initial_delay 6s is greater than max_delay 5s"
    ])
  })

  it("takes jitter as a boolean only", () => {
    expect(only(retry({ jitter: false })).plan.modules[0]?.retry.jitter).toBe(false)
    expect(problems(retry({ jitter: 0 }))).toEqual(["chain.0.retry.jitter: expected true or false, got 0"])
  })
})

describe("connections", () => {
  it("must exist", () => {
    expect(problems(validate(stream([{ module: "postgresql", connection: "main" }])))).toEqual([
      "chain.0.connection: connection 'main' does not exist (it is not in streams/connections.yaml) (did you mean 'main_db'?)"
    ])
  })

  it("must fit the module's type", () => {
    expect(problems(validate(stream([{ module: "postgresql", connection: "cache" }])))).toEqual([
      "chain.0.connection: connection 'cache' is of type redis, module postgresql needs postgresql"
    ])
  })

  it("are required by modules that need one", () => {
    expect(problems(validate(stream([{ module: "kafka", config: { topic: "t" } }])))).toEqual([
      "chain.0: module kafka needs a connection: name a kafka entry of streams/connections.yaml"
    ])
  })

  it("are refused by modules that take none", () => {
    expect(problems(validate(stream([{ module: "log", connection: "cache" }])))).toEqual([
      "chain.0.connection: module log takes no connection"
    ])
  })

  it("say so when no connections file was loaded", () => {
    const validation = validate(stream([{ module: "redis", connection: "cache", config: { channel: "c" } }]), {
      connections: null
    })
    expect(problems(validation)).toEqual([
      "chain.0.connection: connection 'cache' does not exist (no connections file was loaded)"
    ])
  })

  it("are optional for http", () => {
    expect(only(validate(stream([http]))).plan.modules[0]?.connection).toBeUndefined()
    expect(only(validate(stream([{ ...http, connection: "crm" }]))).plan.modules[0]?.connection).toBe("crm")
  })

  it("give steps their guard: per connection, or per step without one", () => {
    const custom = {
      ...connections,
      cache: { type: "redis", host: "h", max_in_flight: 3, circuit_breaker: { failure_threshold: 2, cooldown: "5s" } }
    }
    const plan = only(
      validate(
        stream([
          { module: "redis", connection: "cache", config: { channel: "c" } },
          { module: "log", id: "audit" }
        ]),
        {
          connections: custom
        }
      )
    ).plan
    expect(plan.modules[0]?.guard).toEqual({
      key: "cache",
      maxInFlight: 3,
      maxQueued: 3,
      failureThreshold: 2,
      cooldownMs: 5000
    })
    expect(plan.modules[1]?.guard).toEqual({
      key: "s/audit",
      maxInFlight: 64,
      maxQueued: 64,
      failureThreshold: 5,
      cooldownMs: 30_000
    })
  })
})
