import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { generateJsonSchemas } from "../../../src/config/jsonSchemas.ts"

const dir = join(import.meta.dirname, "..", "..", "..", "schemas")

describe("schemas/", () => {
  const generated = generateJsonSchemas()

  it("holds the event, result, dlq, deferred, stream and connections schemas", () => {
    expect(generated.map((g) => g.file)).toEqual([
      "event.schema.json",
      "result.schema.json",
      "dlq.schema.json",
      "deferred.schema.json",
      "stream.schema.json",
      "connections.schema.json"
    ])
  })

  for (const { file, text } of generated) {
    it(`${file} matches what the code generates (run npm run schemas after changing a schema)`, () => {
      expect(readFileSync(join(dir, file), "utf8")).toBe(text)
    })
  }

  it("documents the wire contracts' field names and the config files' strictness", () => {
    const parse = (file: string) => JSON.parse(generated.find((g) => g.file === file)?.text ?? "{}")
    const result = parse("result.schema.json")
    expect(Object.keys(result.properties)).toEqual(
      expect.arrayContaining([
        "schema",
        "event_id",
        "webhook_id",
        "status",
        "modules",
        "started_at",
        "finished_at",
        "duration_ms",
        "source",
        "replay_count"
      ])
    )
    expect(result.additionalProperties).not.toBe(false)
    const dlq = parse("dlq.schema.json")
    expect(dlq.properties.reason.enum).toEqual([
      "chain_failed",
      "timed_out",
      "invalid_event",
      "unknown_webhook",
      "payload_too_large",
      "filter_failed",
      "invalid_payload"
    ])
    const event = parse("event.schema.json")
    expect(event.required).toEqual(["webhook_id", "payload"])
    const stream = parse("stream.schema.json")
    expect(stream.additionalProperties).toBe(false)
    expect(stream.properties.chain.maxItems).toBe(20)
    expect(stream.properties.chain.items.anyOf ?? stream.properties.chain.items.oneOf).toHaveLength(10)
    const connections = parse("connections.schema.json")
    expect(connections.$schema).toBe("https://json-schema.org/draft/2020-12/schema")
  })
})
