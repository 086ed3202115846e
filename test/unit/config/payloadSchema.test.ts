/**
 * `payload_schema`: inline or from a file next to the stream, compiled once at load (draft
 * 2020-12, formats); what does not compile is a config issue with the path; the compiled
 * contract reports JSON Pointer paths and messages, never the values it found.
 */
import { describe, expect, it } from "vitest"
import { validateSources } from "../../../src/config/loadSources.ts"
import { compilePayloadSchema } from "../../../src/config/payloadSchema.ts"
import { MAX_PAYLOAD_PROBLEMS } from "../../../src/domain/PayloadContract.ts"
import { only, problems, stream, validate } from "./fixtures.ts"

const orders = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  required: ["order_id", "total"],
  properties: {
    order_id: { type: "string", pattern: "^ord_" },
    total: { type: "number", minimum: 0 },
    email: { type: "string", format: "email" },
    items: { type: "array", prefixItems: [{ type: "object", required: ["sku"] }] }
  }
}

const contractOf = (schema: unknown) => {
  const compiled = compilePayloadSchema(schema)
  if (!compiled.ok) throw new Error(compiled.problem)
  return compiled.contract
}

describe("the compiled contract", () => {
  it("passes a matching payload: no problems", () => {
    expect(
      contractOf(orders).check({ order_id: "ord_1", total: 3, email: "a@example.com", items: [{ sku: "x" }] })
    ).toEqual([])
  })

  it("names each problem by JSON Pointer and what the schema wants, never the value (formats and 2020-12 keywords work)", () => {
    const secret = "not-an-email-4111111111111111"
    const found = contractOf(orders).check({ order_id: "x-7", total: -5, email: secret, items: [{}] })
    expect(found).toEqual([
      { path: "/order_id", message: 'must match pattern "^ord_"' },
      { path: "/total", message: "must be >= 0" },
      { path: "/email", message: 'must match format "email"' },
      { path: "/items/0/sku", message: "is required" }
    ])
    expect(JSON.stringify(found)).not.toContain(secret)
    expect(JSON.stringify(found)).not.toContain("x-7")
    expect(contractOf(orders).check({ total: "12" })).toEqual([
      { path: "/order_id", message: "is required" },
      { path: "/total", message: "must be number" }
    ])
    expect(contractOf(orders).check([1])).toEqual([{ path: "", message: "must be object" }])
  })

  it("lists at most the first few problems", () => {
    const many = contractOf({
      type: "object",
      properties: Object.fromEntries("abcdefgh".split("").map((k) => [k, { type: "string" }]))
    })
    const found = many.check(Object.fromEntries("abcdefgh".split("").map((k) => [k, 1])))
    expect(found).toHaveLength(MAX_PAYLOAD_PROBLEMS)
  })

  it("escapes a required name in the pointer (~ and /)", () => {
    expect(contractOf({ required: ["a/b", "m~n"] }).check({})).toEqual([
      { path: "/a~1b", message: "is required" },
      { path: "/m~0n", message: "is required" }
    ])
  })
})

describe("payload_schema in a stream file", () => {
  it("inline: compiled into the stream's contract", () => {
    const s = only(validate(stream([{ module: "log" }], { payload_schema: orders })))
    expect(s.payloadContract?.check({ order_id: "ord_1", total: 1 })).toEqual([])
    expect(s.payloadContract?.check({})).toHaveLength(2)
  })

  it("a file relative to the stream file's directory, JSON or YAML", () => {
    const result = validateSources({
      streams: [
        {
          path: "conf/streams/orders.yaml",
          text: "id: orders\npayload_schema: schemas/orders.json\nchain: [{ module: log }]\n"
        },
        { path: "conf/streams/pay.yaml", text: "id: pay\npayload_schema: ../pay.yaml\nchain: [{ module: log }]\n" }
      ],
      files: [
        { path: "conf/streams/schemas/orders.json", text: JSON.stringify(orders) },
        { path: "conf/pay.yaml", text: "type: object\nrequired: [amount]\n" }
      ],
      env: {}
    })
    expect(result.issues).toEqual([])
    expect(result.config?.byWebhookId.get("orders")?.payloadContract?.check({ order_id: "ord_2", total: 0 })).toEqual(
      []
    )
    expect(result.config?.byWebhookId.get("pay")?.payloadContract?.check({})).toEqual([
      { path: "/amount", message: "is required" }
    ])
  })

  it("load errors: a missing file, a file that is not JSON, an invalid schema, an unknown keyword or format, a remote $ref, allow_raw", () => {
    const at = (payload_schema: unknown, top: Record<string, unknown> = {}) =>
      problems(validate(stream([{ module: "log" }], { payload_schema, ...top })))
    expect(at("schemas/none.json")).toEqual([
      "payload_schema: cannot read the schema file streams/schemas/none.json (missing or not permitted)"
    ])
    expect(at({ type: "objekt" })[0]).toMatch(
      /^payload_schema: not a usable JSON Schema: schema is invalid: data\/type /
    )
    expect(at({ type: "object", propertys: {} })).toEqual([
      'payload_schema: not a usable JSON Schema: strict mode: unknown keyword: "propertys"'
    ])
    expect(at({ type: "string", format: "emial" })).toEqual([
      'payload_schema: not a usable JSON Schema: unknown format "emial" ignored in schema at path "#"'
    ])
    expect(at({ $ref: "https://example.com/order.json" })).toEqual([
      "payload_schema: not a usable JSON Schema: can't resolve reference https://example.com/order.json from id #"
    ])
    expect(at(orders, { ingress: { allow_raw: true } })).toEqual([
      "ingress.allow_raw: payload_schema applies to JSON payloads; allow_raw would let other bodies past it"
    ])
    const file = validateSources({
      streams: [{ path: "s/a.yaml", text: "id: a\npayload_schema: bad.json\nchain: [{ module: log }]\n" }],
      files: [{ path: "s/bad.json", text: "{ nope" }],
      env: {}
    })
    expect(file.issues.map((i) => i.file)).toEqual(["s/bad.json"])
  })
})
