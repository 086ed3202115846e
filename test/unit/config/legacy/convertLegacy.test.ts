// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files use the literal ${VAR} syntax
/**
 * The original system's webhooks.json + connections.json, and the validator behaviours its
 * tests pinned (inventory §7.1) that still make sense, with booleans-as-numbers rejected.
 */
import { describe, expect, it } from "vitest"
import { type Validation, validateSources } from "../../../../src/config/loadSources.ts"

const legacy = (webhooks: unknown, connections?: unknown, env: Record<string, string> = {}): Validation =>
  validateSources({
    streams: [{ path: "webhooks.json", text: JSON.stringify(webhooks) }],
    ...(connections === undefined
      ? {}
      : { connections: { path: "connections.json", text: JSON.stringify(connections) } }),
    env
  })
const problems = (v: Validation) => v.issues.map((i) => `${i.path}: ${i.message}`)
const warnings = (v: Validation) => v.warnings.map((i) => `${i.path}: ${i.message}`)
const plan = (v: Validation, id = "w") => {
  const stream = v.config?.byWebhookId.get(id)
  if (stream === undefined) throw new Error(problems(v).join("\n"))
  return stream.plan
}
const chain = (items: unknown, extra: Record<string, unknown> = {}) => ({ w: { chain: items, ...extra } })

const legacyConnections = {
  local_pg: { type: "postgresql", host: "127.0.0.1", port: 5432, database: "test", user: "postgres", password: "pw" },
  kafka_local: { type: "kafka", bootstrap_servers: "127.0.0.1:9092" },
  rabbit: { type: "rabbitmq", host: "127.0.0.1", port: 5672, user: "guest", pass: "guest" },
  analytics: { type: "clickhouse", host: "ch" }
}

describe("legacy chain format (§7.1)", () => {
  it("accepts the detailed example of the inventory (§1.4) as the same plan", () => {
    const v = legacy(
      {
        w: {
          data_type: "json",
          authorization: "Bearer X",
          chain: [
            "log",
            {
              module: "kafka",
              connection: "kafka_local",
              "module-config": { topic: "events" },
              retry: { enabled: true, max_attempts: 3 }
            }
          ],
          "chain-config": { execution: "parallel", continue_on_error: false, timeout: 10 }
        }
      },
      legacyConnections
    )
    const p = plan(v)
    expect(p).toMatchObject({
      webhookId: "w",
      execution: "parallel",
      continueOnError: false,
      timeoutMs: 10_000,
      maxParallel: 2
    })
    expect(p.modules.map((m) => [m.id, m.module, m.connection, m.retry.maxAttempts])).toEqual([
      ["log-0", "log", undefined, 1],
      ["kafka-1", "kafka", "kafka_local", 3]
    ])
    expect(p.modules[1]?.config).toMatchObject({ topic: "events" })
    expect(v.config?.connections.get("kafka_local")?.["brokers"]).toEqual(["127.0.0.1:9092"])
    expect(warnings(v)).toEqual([
      "analytics: skipped: hookstream has no destination for connection type 'clickhouse'",
      "w.authorization: not converted: stream files have no equivalent (authentication moves to ingress.auth)",
      "w.data_type: not converted: stream files have no equivalent (authentication moves to ingress.auth)"
    ])
  })

  it("treats a missing chain, or chain: null, as the single-module path", () => {
    const p = plan(legacy({ w: { module: "save_to_disk", "module-config": { path: "out" }, chain: null } }))
    expect(p.modules.map((m) => [m.module, m.config])).toEqual([
      ["file", { directory: "out", include_headers: false, pretty: false }]
    ])
    expect(problems(legacy({ w: { data_type: "json" } }))).toEqual(["w: webhook has neither 'chain' nor 'module'"])
  })

  it("accepts string, object and mixed chains with all optional fields", () => {
    const v = legacy(
      chain(
        [
          "log",
          { module: "save_to_disk", retry: { enabled: true, max_attempts: 3 } },
          { module: "log", connection: null, "module-config": null, retry: null },
          { module: "rabbitmq", connection: "rabbit", "module-config": { queue_name: "q" } }
        ],
        { "chain-config": { execution: "sequential", continue_on_error: true } }
      ),
      legacyConnections
    )
    expect(plan(v).modules.map((m) => m.module)).toEqual(["log", "file", "log", "rabbitmq"])
    expect(plan(v).modules[3]?.config).toMatchObject({ queue: "q" })
  })

  it("bounds the chain: at least 1, at most 20 (no exception past it)", () => {
    expect(problems(legacy(chain([])))).toEqual(["w.chain: chain must have at least 1 module"])
    expect(plan(legacy(chain(Array(20).fill("log")))).modules).toHaveLength(20)
    expect(problems(legacy(chain(Array(21).fill("log"))))).toEqual([
      "w.chain: chain exceeds the limit of 20 modules, got 21"
    ])
    expect(problems(legacy(chain(Array(1000).fill("log"))))).toEqual([
      "w.chain: chain exceeds the limit of 20 modules, got 1000"
    ])
  })

  it("applies the separate parallel limit of 10 to converted chains", () => {
    expect(problems(legacy(chain(Array(11).fill("log"), { "chain-config": { execution: "parallel" } })))).toEqual([
      "w.chain: parallel chains allow at most 10 modules, got 11"
    ])
  })

  it("rejects a webhook config that is not a dictionary, and a chain that is not a list", () => {
    for (const bad of [null, "str", 123, [], true]) {
      expect(problems(legacy({ w: bad }))[0]).toMatch(/^w: webhook config must be a dictionary, got /)
    }
    for (const bad of ["str", 123, {}, true])
      expect(problems(legacy(chain(bad)))[0]).toMatch(/^w\.chain: chain must be a list/)
  })

  it("rejects items that are neither a string nor a dictionary, and reports every bad item", () => {
    expect(problems(legacy(chain([123, true, null, [], "log"])))).toEqual([
      "w.chain.0: chain item must be a string or dictionary, got int",
      "w.chain.1: chain item must be a string or dictionary, got bool",
      "w.chain.2: chain item must be a string or dictionary, got null",
      "w.chain.3: chain item must be a string or dictionary, got list"
    ])
  })

  it("checks module names like the original registry", () => {
    expect(problems(legacy(chain([{ module: 123 }, { module: true }, { module: null }, { connection: "x" }])))).toEqual(
      [
        "w.chain.0.module: module must be a string, got int",
        "w.chain.1.module: module must be a string, got bool",
        "w.chain.2: chain item is missing required 'module'",
        "w.chain.3: chain item is missing required 'module'"
      ]
    )
    expect(
      problems(legacy(chain(["", "   ", "a".repeat(64), "a".repeat(65), "nonexistent_module", "log--x"])))
    ).toEqual([
      "w.chain.0: module name must be a non-empty string",
      "w.chain.1: module name must be a non-empty string",
      `w.chain.2: module '${"a".repeat(64)}' is not registered`,
      `w.chain.3: module '${"a".repeat(61)}...' is not registered`,
      "w.chain.4: module 'nonexistent_module' is not registered",
      "w.chain.5: module 'log--x' is not registered"
    ])
    expect(plan(legacy(chain([" log "]))).modules[0]?.module).toBe("log")
  })

  it("names original modules hookstream has no destination for", () => {
    expect(problems(legacy(chain(["s3", { module: "clickhouse" }])))).toEqual([
      "w.chain.0: module 's3' of the original system has no hookstream destination",
      "w.chain.1.module: module 'clickhouse' of the original system has no hookstream destination"
    ])
  })

  it("checks connection, module-config and retry types", () => {
    expect(
      problems(
        legacy(
          chain([
            { module: "log", connection: 123 },
            { module: "log", "module-config": "x" },
            { module: "log", retry: [] }
          ])
        )
      )
    ).toEqual([
      "w.chain.0.connection: connection must be a string, got int",
      "w.chain.1.module-config: module-config must be a dictionary, got str",
      "w.chain.2.retry: retry must be a dictionary, got list"
    ])
  })

  it("requires connection names to exist now (the original only failed at run time)", () => {
    expect(
      problems(legacy(chain([{ module: "postgresql", connection: "../../etc/passwd" }]), legacyConnections))
    ).toEqual([
      "w.chain.0.connection: expected a connection name of 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, got '../../etc/passwd'",
      "w.chain.0.connection: connection '../../etc/passwd' does not exist (it is not in connections.json)"
    ])
  })

  it("checks retry.enabled and retry.max_attempts, with booleans rejected", () => {
    const retry = (r: unknown) => problems(legacy(chain([{ module: "log", retry: r }])))
    expect(retry({ max_attempts: 0 })).toEqual(["w.chain.0.retry.max_attempts: must be a positive integer, got 0"])
    expect(retry({ max_attempts: -1 })).toEqual(["w.chain.0.retry.max_attempts: must be a positive integer, got -1"])
    expect(retry({ max_attempts: true })).toEqual([
      "w.chain.0.retry.max_attempts: must be a positive integer, got bool (booleans are not numbers)"
    ])
    expect(retry({ enabled: "yes" })).toEqual(["w.chain.0.retry.enabled: must be a boolean, got str"])
    expect(retry({ max_attempts: 1 })).toEqual([])
  })

  it("checks chain-config: type, execution, continue_on_error, timeout, unknown fields", () => {
    const cc = (c: unknown) => problems(legacy(chain(["log"], { "chain-config": c })))
    for (const bad of ["x", 123, true, []])
      expect(cc(bad)[0]).toMatch(/^w\.chain-config: chain-config must be a dictionary, got /)
    expect(cc({ execution: 123 })).toEqual(["w.chain-config.execution: must be a string, got int"])
    for (const bad of ["invalid_mode", "SEQUENTIAL", "Parallel", ""]) {
      expect(cc({ execution: bad })[0]).toMatch(/must be 'sequential' or 'parallel' \(case-sensitive\)/)
    }
    expect(cc({ continue_on_error: "x" })).toEqual(["w.chain-config.continue_on_error: must be a boolean, got str"])
    expect(cc({ timeout: true })).toEqual([
      "w.chain-config.timeout: must be a number of seconds greater than 0, got bool (booleans are not numbers)"
    ])
    expect(cc({ timeout: 0 })).toEqual(["w.chain-config.timeout: must be a number of seconds greater than 0, got 0"])
    expect(cc({ nested: { nested: {} } })).toEqual([
      "w.chain-config.nested: unknown field 'nested' (allowed: continue_on_error, execution, timeout)"
    ])
  })

  it("rejects unknown item fields, __proto__ and constructor included", () => {
    const items = JSON.parse(
      '[{"module": "log", "__proto__": 1}, {"module": "log", "constructor": 1}, {"module": "log", "modul-config": {}}]'
    )
    expect(problems(legacy(chain(items)))).toEqual([
      "w.chain.0.__proto__: unknown field '__proto__' (allowed: connection, destination, module, module-config, queue_name, retry, topic)",
      "w.chain.1.constructor: unknown field 'constructor' (allowed: connection, destination, module, module-config, queue_name, retry, topic)",
      "w.chain.2.modul-config: unknown field 'modul-config' (did you mean 'module-config'?) (allowed: connection, destination, module, module-config, queue_name, retry, topic)"
    ])
  })

  it("rejects a deprecated top-level topic/queue_name/destination that is also in module-config", () => {
    for (const key of ["topic", "queue_name", "destination"]) {
      expect(problems(legacy(chain([{ module: "log", [key]: "a", "module-config": { [key]: "b" } }])))).toEqual([
        `w.chain.0.${key}: '${key}' should be in 'module-config', not at top level (it is in both)`
      ])
    }
  })

  it("moves a deprecated top-level topic into the module config, with a warning", () => {
    const v = legacy(chain([{ module: "kafka", connection: "kafka_local", topic: "events" }]), legacyConnections)
    expect(plan(v).modules[0]?.config).toMatchObject({ topic: "events" })
    expect(warnings(v)).toContain("w.chain.0.topic: deprecated top-level 'topic' moved into the module config")
  })
})

describe("legacy conversion details", () => {
  it("merges webhook-level module-config under each item's; an item's null drops it", () => {
    const v = legacy(
      {
        w: {
          "module-config": { table: "events", include_headers: false },
          chain: [
            { module: "postgres", connection: "local_pg", "module-config": { table: "orders" } },
            { module: "postgres", connection: "local_pg", "module-config": null }
          ]
        }
      },
      legacyConnections
    )
    expect(plan(v).modules.map((m) => m.config)).toMatchObject([
      { table: "orders", include_headers: false },
      { table: "webhook_events", include_headers: true }
    ])
  })

  it("falls back to the webhook-level topic and queue_name, and inherits a matching webhook connection", () => {
    const v = legacy(
      {
        w: {
          topic: "fallback",
          queue_name: "jobs",
          connection: "kafka_local",
          chain: [{ module: "kafka" }, { module: "rabbitmq", connection: "rabbit" }, "log"]
        }
      },
      legacyConnections
    )
    expect(plan(v).modules.map((m) => [m.connection, m.config])).toMatchObject([
      ["kafka_local", { topic: "fallback" }],
      ["rabbit", { queue: "jobs" }],
      [undefined, { include_payload: true }]
    ])
  })

  it("retries only when enabled, clamping out-of-range values into our limits with a warning", () => {
    const v = legacy(
      chain([
        { module: "log", retry: { enabled: false, max_attempts: 5 } },
        {
          module: "log",
          retry: { enabled: true, max_attempts: 20, initial_delay: 100, max_delay: 999, backoff_multiplier: 0.5 }
        },
        { module: "log", retry: { enabled: true, initial_delay: "slow", retryable_errors: ["ConnectionError"] } },
        { module: "log", retry: { enabled: true, initial_delay: 10, max_delay: 5 } }
      ])
    )
    expect(plan(v).modules.map((m) => m.retry)).toEqual([
      { maxAttempts: 1, initialDelayMs: 200, maxDelayMs: 5000, multiplier: 2, jitter: true },
      { maxAttempts: 10, initialDelayMs: 30_000, maxDelayMs: 30_000, multiplier: 1, jitter: true },
      { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 30_000, multiplier: 2, jitter: true },
      { maxAttempts: 3, initialDelayMs: 10_000, maxDelayMs: 10_000, multiplier: 2, jitter: true }
    ])
    expect(warnings(v).filter((w) => w.includes("retry"))).toEqual([
      "w.chain.1.retry.backoff_multiplier: 0.5 is outside 1–10; using 1",
      "w.chain.1.retry.initial_delay: 100s is outside 0s–30s; using 30s",
      "w.chain.1.retry.max_attempts: 20 is outside 1–10; using 10",
      "w.chain.1.retry.max_delay: 999s is outside 0s–30s; using 30s",
      "w.chain.2.retry.initial_delay: expected a number, got str; using the original default 1",
      "w.chain.2.retry.retryable_errors: ignored: hookstream decides retries from each error's reason and retryable flag",
      "w.chain.3.retry.max_delay: max_delay 5s is below initial_delay 10s; raised to 10s as the original did"
    ])
  })

  it("clamps a chain timeout over 15 minutes with a warning, and warns that sequential chains now have one", () => {
    const v = legacy({
      a: { chain: ["log"], "chain-config": { execution: "parallel", timeout: 3600 } },
      b: { chain: ["log"] }
    })
    expect(plan(v, "a").timeoutMs).toBe(900_000)
    expect(plan(v, "b").timeoutMs).toBe(30_000)
    expect(warnings(v)).toEqual([
      "a.chain-config.timeout: 3600s is over the 15 minute limit; using 900s",
      "b.chain-config.timeout: sequential chains now have a deadline too (default 30s); set chain-config.timeout if they need longer"
    ])
  })

  it("drops module options hookstream does not have, with a warning naming them", () => {
    const v = legacy(
      chain([
        { module: "mqtt", connection: "m", "module-config": { topic: "t", tasmota_format: true, device_name: "d" } }
      ]),
      {
        m: { type: "mqtt", host: "127.0.0.1", mqtt_version: "5.0", tls_insecure: true }
      }
    )
    expect(plan(v).modules[0]?.config).toEqual({ topic: "t", qos: 1, retained: false })
    expect(v.config?.connections.get("m")?.["protocol_version"]).toBe(5)
    expect(warnings(v)).toEqual([
      "m: ignored: no mqtt option tls_insecure",
      "w.chain.0.module-config: ignored: mqtt has no option tasmota_format, device_name",
      "w.chain-config.timeout: sequential chains now have a deadline too (default 30s); set chain-config.timeout if they need longer"
    ])
  })

  it("reports problems in the converted config at the legacy file's own paths", () => {
    const v = legacy(
      chain([
        { module: "http_webhook", "module-config": { url: "ftp://x" } },
        { module: "postgres", connection: "local_pg" }
      ]),
      { local_pg: { type: "postgres", host: "h", database: "d", user: "u", pass: "p", port: "x" } }
    )
    expect(problems(v)).toEqual([
      "local_pg.port: expected a port between 1 and 65535, got 'x'",
      "w.chain.0.module-config.url: expected an http:// or https:// URL, got ftp:"
    ])
    expect(warnings(v)).toContain("local_pg: ignored: no postgresql option pass")
  })

  it("synthesises a redis connection from the webhook-level redis object of redis_publish", () => {
    const v = legacy(
      { w: { redis: { host: "127.0.0.1", port: 6380, channel: "events" }, chain: ["redis_publish"] } },
      {}
    )
    expect(plan(v).modules[0]).toMatchObject({
      module: "redis",
      connection: "w-redis",
      config: { mode: "publish", channel: "events" }
    })
    expect(v.config?.connections.get("w-redis")).toMatchObject({ type: "redis", host: "127.0.0.1", port: 6380 })
  })

  it("cannot be mixed with stream files", () => {
    const v = validateSources({
      streams: [
        { path: "webhooks.json", text: "{}" },
        { path: "streams/a.yaml", text: "id: a" }
      ],
      env: {}
    })
    expect(v.issues.map((i) => i.message)).toEqual([
      "load either stream files or a legacy webhooks.json, not both (convert it with hookstream import)"
    ])
  })

  it("never puts a traceback, a file URL or a path separator in its own messages", () => {
    const v = legacy({ a: "x", b: { chain: "x" }, c: { chain: [1, { module: 2 }], "chain-config": 5 } })
    for (const message of v.issues.map((i) => i.message)) expect(message).not.toMatch(/traceback|file:\/\/|[\\/]/i)
  })
})

describe("legacy and stream files load as the same plans", () => {
  it("gives the plan a hand-written stream file gives", () => {
    const fromLegacy = legacy(
      {
        orders: {
          chain: [
            { module: "postgres", connection: "local_pg", "module-config": { table: "orders" } },
            {
              module: "kafka",
              connection: "kafka_local",
              "module-config": { topic: "order-events" },
              retry: { enabled: true, max_attempts: 4, initial_delay: 0.2, max_delay: 5, backoff_multiplier: 2 }
            }
          ],
          "chain-config": { execution: "parallel", continue_on_error: false, timeout: 20 }
        }
      },
      legacyConnections
    )
    const fromStream = validateSources({
      streams: [
        {
          path: "streams/orders.yaml",
          text: [
            "id: orders",
            "execution: parallel",
            "continue_on_error: false",
            "timeout: 20s",
            "chain:",
            "  - { module: postgresql, connection: local_pg, config: { table: orders }, retry: { max_attempts: 1 } }",
            "  - module: kafka",
            "    connection: kafka_local",
            "    config: { topic: order-events }",
            "    retry: { max_attempts: 4, initial_delay: 200ms, max_delay: 5s, multiplier: 2 }"
          ].join("\n")
        }
      ],
      connections: {
        path: "streams/connections.yaml",
        text: [
          "local_pg: { type: postgresql, host: 127.0.0.1, port: 5432, database: test, user: postgres, password: pw }",
          "kafka_local: { type: kafka, brokers: 127.0.0.1:9092 }"
        ].join("\n")
      },
      env: {}
    })
    expect(plan(fromLegacy, "orders")).toEqual(plan(fromStream, "orders"))
  })
})
