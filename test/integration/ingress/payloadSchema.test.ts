/**
 * payload_schema at the ingress against a real broker: a JSON payload that does not match the
 * stream's schema is answered 422 with the first few JSON Pointer paths and messages (never the
 * values) and nothing reaches the topic; a matching one is 202 as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { consumeRecords, createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { recordsOnTopic, startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const schema = JSON.stringify({
  type: "object",
  required: ["order_id", "customer"],
  properties: {
    order_id: { type: "string", pattern: "^ord_" },
    customer: { type: "object", required: ["email"], properties: { email: { type: "string", format: "email" } } },
    lines: { type: "array", items: { type: "object", required: ["sku"] } }
  }
})

const config = streamsFrom({
  "orders.yaml": `id: t-schema\npayload_schema: ${schema}\ningress: {}\nchain: [{ module: log }]\n`
})

const topic = uniqueName("ingress-schema")
const kafka = testKafka("ingress-schema-test")
let ingress: TestIngress

const post = async (body: string) => {
  const response = await ingress.post("t-schema", { headers: { "content-type": "application/json" }, body })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

beforeAll(async () => {
  await createTopics(kafka, [{ topic }])
  ingress = await startTestIngress(config, { brokers: kafkaBrokers(), topic })
  await ingress.ready()
})

afterAll(async () => {
  await ingress?.close()
})

describe("payload_schema at the ingress", () => {
  it("a matching payload → 202", async () => {
    const ok = await post('{"order_id":"ord_1","customer":{"email":"a@example.com"},"lines":[{"sku":"s"}]}')
    expect(ok.status).toBe(202)
  })

  it("a payload that does not match → 422 with JSON Pointer paths and messages, never the values", async () => {
    const secret = "jane.doe-at-example.com"
    const refused = await post(`{"order_id":"ORD-77","customer":{"email":"${secret}"},"lines":[{"qty":1}]}`)
    expect(refused.status).toBe(422)
    expect(refused.body).toEqual({
      error: "the payload does not match this stream's payload_schema",
      problems: [
        { path: "/order_id", message: 'must match pattern "^ord_"' },
        { path: "/customer/email", message: 'must match format "email"' },
        { path: "/lines/0/sku", message: "is required" }
      ]
    })
    expect(JSON.stringify(refused.body)).not.toContain(secret)
    expect(JSON.stringify(refused.body)).not.toContain("ORD-77")
    expect((await post("[]")).body).toMatchObject({ problems: [{ path: "", message: "must be object" }] })
  })

  it("invalid JSON is still 400 (the schema is checked only on JSON)", async () => {
    expect((await post("{nope")).status).toBe(400)
  })

  it("the topic holds only the accepted event", async () => {
    const records = await consumeRecords(kafka, { topic, count: 1 })
    expect(records.map((r) => JSON.parse(r.value ?? "{}").payload.order_id)).toEqual(["ord_1"])
    expect(await recordsOnTopic(kafka, topic)).toBe(1)
  })
})
