import { describe, expect, it } from "vitest"
import { limits } from "../../../src/config/StreamFile.ts"
import { logs, only, problems, stream, validate } from "./fixtures.ts"

describe("stream top level", () => {
  it("fills the defaults of a minimal stream", () => {
    const { plan, maxPayloadBytes, redaction, tests, ingress } = only(validate(stream(logs(1))))
    expect(plan).toMatchObject({
      webhookId: "s",
      execution: "sequential",
      continueOnError: true,
      timeoutMs: 30_000,
      maxParallel: 1
    })
    expect(maxPayloadBytes).toBe(1_048_576)
    expect(redaction).toEqual({ fields: [], patterns: [], payload: false })
    expect(tests).toEqual([])
    expect(ingress).toBeUndefined()
  })

  it("reports unknown keys with a suggestion when one is close", () => {
    expect(problems(validate(stream(logs(1), { continue_on_eror: false })))).toEqual([
      "continue_on_eror: unknown key 'continue_on_eror' (did you mean 'continue_on_error'?)"
    ])
  })

  it("lists the allowed keys when no key is close", () => {
    const [line] = problems(validate(stream(logs(1), { zzz: 1 })))
    expect(line).toMatch(
      /^zzz: unknown key 'zzz' \(allowed: chain, continue_on_error, description, execution, filter, id/
    )
  })

  it("rejects booleans where numbers are expected, and says why", () => {
    expect(problems(validate(stream(logs(2), { execution: "parallel", max_parallel: true })))).toEqual([
      "max_parallel: expected an integer between 1 and 10, got true (booleans are not numbers)"
    ])
    expect(problems(validate(stream(logs(1), { timeout: true })))[0]).toMatch(
      /^timeout: expected a duration.*got true \(booleans are not numbers\)$/
    )
  })

  it("rejects non-booleans for continue_on_error", () => {
    expect(problems(validate(stream(logs(1), { continue_on_error: "no" })))).toEqual([
      "continue_on_error: expected true or false, got 'no'"
    ])
  })

  it("accepts only the two execution modes, case-sensitively", () => {
    expect(only(validate(stream(logs(1), { execution: "parallel" }))).plan.execution).toBe("parallel")
    expect(problems(validate(stream(logs(1), { execution: "Parallel" })))).toEqual([
      "execution: expected one of 'sequential', 'parallel', got 'Parallel' (did you mean 'parallel'?)"
    ])
  })

  it("validates the stream id shape", () => {
    expect(only(validate(stream(logs(1), { id: "a".repeat(64) }))).plan.webhookId).toHaveLength(64)
    for (const id of ["a".repeat(65), "-x", "a b", "a/b", ""]) {
      expect(problems(validate(stream(logs(1), { id })))[0]).toMatch(/^id: expected a stream id/)
    }
  })

  it("requires id and chain", () => {
    expect(problems(validate({}))).toEqual(["chain: missing required key 'chain'", "id: missing required key 'id'"])
  })

  it("rejects a document that is not a mapping", () => {
    expect(problems(validate([[1, 2]]))).toEqual([
      ": expected a stream definition (a mapping with id and chain), got a list"
    ])
  })
})

describe("chain limits", () => {
  it("needs at least one module", () => {
    expect(problems(validate(stream([])))).toEqual(["chain: a chain needs at least one module"])
  })

  it("allows 20 sequential modules, not 21", () => {
    expect(only(validate(stream(logs(limits.sequentialChain)))).plan.modules).toHaveLength(20)
    expect(problems(validate(stream(logs(21))))).toEqual(["chain: sequential chains allow at most 20 modules, got 21"])
  })

  it("allows 10 parallel modules, not 11 (a separate, lower limit)", () => {
    const parallel = { execution: "parallel" }
    expect(only(validate(stream(logs(10), parallel))).plan.modules).toHaveLength(10)
    expect(problems(validate(stream(logs(11), parallel)))).toEqual([
      "chain: parallel chains allow at most 10 modules, got 11"
    ])
    expect(problems(validate(stream(logs(12), parallel)))).toEqual([
      "chain: parallel chains allow at most 10 modules, got 12"
    ])
  })

  it("defaults max_parallel to the chain length and caps it there", () => {
    expect(only(validate(stream(logs(4), { execution: "parallel" }))).plan.maxParallel).toBe(4)
    expect(only(validate(stream(logs(4), { execution: "parallel", max_parallel: 2 }))).plan.maxParallel).toBe(2)
    expect(only(validate(stream(logs(4), { execution: "parallel", max_parallel: 10 }))).plan.maxParallel).toBe(4)
    expect(problems(validate(stream(logs(4), { execution: "parallel", max_parallel: 11 })))).toEqual([
      "max_parallel: expected an integer between 1 and 10, got 11"
    ])
    expect(problems(validate(stream(logs(4), { execution: "parallel", max_parallel: 0 })))).toEqual([
      "max_parallel: expected an integer between 1 and 10, got 0"
    ])
  })

  it("rejects max_parallel on a sequential chain", () => {
    expect(problems(validate(stream(logs(2), { max_parallel: 2 })))).toEqual([
      "max_parallel: max_parallel applies only to parallel chains (execution: parallel)"
    ])
  })
})

describe("chain timeout", () => {
  it("defaults to 30s and allows up to 15 minutes", () => {
    expect(only(validate(stream(logs(1), { timeout: "15m" }))).plan.timeoutMs).toBe(900_000)
    expect(only(validate(stream(logs(1), { timeout: 900 }))).plan.timeoutMs).toBe(900_000)
    expect(problems(validate(stream(logs(1), { timeout: "901s" })))).toEqual([
      "timeout: expected a duration of at most 15m, got '901s'"
    ])
    expect(problems(validate(stream(logs(1), { timeout: 900.5 })))).toEqual([
      "timeout: expected a duration of at most 15m, got 900.5 (seconds)"
    ])
  })

  it("bounds every step timeout and a module's own timeout by the chain timeout", () => {
    const at = (timeout: unknown, configTimeout: unknown) =>
      validate(
        stream([{ module: "http", timeout, config: { url: "https://example.com/h", timeout: configTimeout } }], {
          timeout: "10s"
        })
      )
    expect(only(at("10s", "10s")).plan.modules[0]?.timeoutMs).toBe(10_000)
    expect(problems(at("10001ms", "5s"))).toEqual(["chain.0.timeout: timeout 10001ms exceeds the chain timeout 10s"])
    expect(problems(at("5s", "11s"))).toEqual([
      "chain.0.config.timeout: config.timeout 11s exceeds the chain timeout 10s"
    ])
  })

  it("defaults a step's timeout to min(10s, chain timeout)", () => {
    expect(only(validate(stream(logs(1)))).plan.modules[0]?.timeoutMs).toBe(10_000)
    expect(only(validate(stream(logs(1), { timeout: "4s" }))).plan.modules[0]?.timeoutMs).toBe(4_000)
  })

  it("does not blame steps for a chain timeout that is itself invalid", () => {
    const validation = validate(stream([{ module: "log", timeout: "60s" }], { timeout: "20m" }))
    expect(problems(validation)).toEqual(["timeout: expected a duration of at most 15m, got '20m'"])
  })
})

describe("payload size", () => {
  it("defaults to 1 MiB, accepts sizes up to 10 MiB, in bytes or with units", () => {
    expect(only(validate(stream(logs(1), { max_payload_size: "512KiB" }))).maxPayloadBytes).toBe(524_288)
    expect(only(validate(stream(logs(1), { max_payload_size: "10MiB" }))).maxPayloadBytes).toBe(10_485_760)
    expect(only(validate(stream(logs(1), { max_payload_size: 10_485_760 }))).maxPayloadBytes).toBe(10_485_760)
    expect(problems(validate(stream(logs(1), { max_payload_size: 10_485_761 })))).toEqual([
      "max_payload_size: expected a size of at most 10MiB, got 10485761 bytes"
    ])
    expect(problems(validate(stream(logs(1), { max_payload_size: "11MB" })))).toEqual([
      "max_payload_size: expected a size of at most 10MiB, got '11MB'"
    ])
    expect(problems(validate(stream(logs(1), { max_payload_size: true })))[0]).toMatch(/booleans are not numbers/)
  })
})

describe("redaction", () => {
  it("keeps fields and patterns, and rejects patterns that do not compile", () => {
    const { redaction } = only(
      validate(stream(logs(1), { redaction: { fields: ["iban"], patterns: ["^card_"], payload: true } }))
    )
    expect(redaction).toEqual({ fields: ["iban"], patterns: ["^card_"], payload: true })
    expect(problems(validate(stream(logs(1), { redaction: { patterns: ["(unclosed"] } })))[0]).toMatch(
      /^redaction\.patterns\.0: invalid regular expression/
    )
  })
})

describe("every problem is reported, not just the first", () => {
  it("collects top-level, step and test problems together, sorted by path", () => {
    const validation = validate(
      stream([{ module: "log", retry: { max_attempts: 11 } }, { module: "nope" }, { module: "http", config: {} }], {
        timeout: "1h",
        executon: "parallel",
        tests: [{ name: "t", event: {}, expect: { status: "succeeded" } }]
      })
    )
    expect(problems(validation)).toEqual([
      "chain.0.retry.max_attempts: expected an integer between 1 and 10, got 11",
      "chain.1.module: unknown module 'nope' (modules: log, file, http, kafka, postgresql, mysql, redis, rabbitmq, mqtt, nats)",
      "chain.2.config.url: missing required key 'url'",
      "executon: unknown key 'executon' (did you mean 'execution'?)",
      "tests.0.event.payload: missing required key 'payload'",
      "timeout: expected a duration of at most 15m, got '1h'"
    ])
  })
})

describe("the loaded definition", () => {
  it("is frozen all the way down", () => {
    const definition = only(validate(stream([{ module: "http", config: { url: "https://example.com/x" } }])))
    expect(Object.isFrozen(definition)).toBe(true)
    expect(Object.isFrozen(definition.plan.modules)).toBe(true)
    expect(Object.isFrozen(definition.plan.modules[0]?.config)).toBe(true)
    expect(Object.isFrozen(definition.plan.modules[0]?.retry)).toBe(true)
  })

  it("rejects the same stream id in two files", () => {
    const validation = validate([stream(logs(1)), stream(logs(2))])
    expect(validation.issues).toEqual([
      {
        file: "streams/s1.json",
        path: "id",
        message: "stream id 's' is already defined in streams/s0.json; each webhook id may have one stream"
      }
    ])
  })

  it("indexes streams by webhook id", () => {
    const validation = validate([stream(logs(1), { id: "a" }), stream(logs(1), { id: "b" })])
    expect([...(validation.config?.byWebhookId.keys() ?? [])]).toEqual(["a", "b"])
    expect(validation.config?.byWebhookId.get("__proto__")).toBeUndefined()
  })
})
