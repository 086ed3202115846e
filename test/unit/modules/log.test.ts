import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { validateSources } from "../../../src/config/loadSources.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { LogConfig } from "../../../src/modules/log/LogConfig.ts"
import { loggingLayer } from "../../../src/observability/logging.ts"
import { bindStreams } from "../../../src/processor/bindStreams.ts"
import { decode } from "./decode.ts"

describe("log config", () => {
  it("leaves the payload out unless asked", () => {
    expect(decode(LogConfig, {}).value).toEqual({ level: "info", include_payload: false, include_headers: false })
    expect(decode(LogConfig, { level: "verbose" }).problems).toEqual([
      "level: expected one of 'debug', 'info', 'warn', 'error', got 'verbose'"
    ])
  })
})

describe("log step with include_payload", () => {
  it("redacts with its stream's redaction: the built-in names and the stream's own fields, any spelling", async () => {
    const { config, issues } = validateSources({
      streams: [
        {
          path: "crm.yaml",
          text: [
            "id: crm",
            "redaction: { fields: [ssn, customer_email] }",
            "chain:",
            "  - module: log",
            "    id: audit",
            "    config: { level: info, include_payload: true, include_headers: true }"
          ].join("\n")
        }
      ],
      env: {}
    })
    if (config === undefined) throw new Error(JSON.stringify(issues))
    const lines: Array<string> = []
    const sink = { write: (line: string) => void lines.push(line) }
    const engine = ChainEngine.make()
    await Effect.runPromise(
      Effect.gen(function* () {
        const streams = yield* bindStreams(config, engine)
        const stream = streams.get("crm")
        if (stream === undefined) throw new Error("stream crm not bound")
        return yield* engine.run(stream.chain, {
          eventId: "evt-1",
          payload: {
            customer: { SSN: "123-45-6789", customerEmail: "ada@example.com", name: "Ada" },
            clientSecret: "cs_live_1"
          },
          payloadEncoding: "json",
          headers: { "x-customer-email": "ada@example.com", "x-request-id": "r-1" }
        })
      }).pipe(
        Effect.scoped,
        Effect.provide(loggingLayer({ level: "debug", stdout: sink, stderr: sink, pretty: false }))
      )
    )
    const text = lines.join("\n")
    expect(text).toContain('"name":"Ada"')
    expect(text).toContain('"x-request-id":"r-1"')
    for (const secret of ["123-45-6789", "ada@example.com", "cs_live_1"]) expect(text).not.toContain(secret)
  })
})
