/**
 * API keys against a real broker: in a named header or a query parameter, any of the listed
 * keys (rotation); wrong, missing, empty or misplaced keys → 401. What a 202 puts on the topic
 * holds no key: not the header it came in, not the URL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { consumeRecords, createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const KEY_OLD = "key-old-7f3a9c"
const KEY_NEW = "key-new-2b8e41"

const config = streamsFrom({
  "header.yaml": `id: t-key-header\ningress: { auth: { api_key: { header: X-API-Key, keys: [${KEY_OLD}, ${KEY_NEW}] } } }\nchain: [{ module: log }]\n`,
  "query.yaml": `id: t-key-query\ningress: { auth: { api_key: { query: api_key, keys: [${KEY_NEW}] } } }\nchain: [{ module: log }]\n`
})

const topic = uniqueName("ingress-api-key")
const kafka = testKafka("ingress-api-key-test")
let ingress: TestIngress
const accepted: Array<string> = []

const post = async (path: string, headers: Record<string, string> = {}, body = '{"order":1}') => {
  const response = await fetch(`${ingress.url}/webhooks/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body
  })
  const text = await response.text()
  if (response.status === 202) accepted.push((JSON.parse(text) as { event_id: string }).event_id)
  else expect(JSON.parse(text)).toEqual({ error: "unauthorized" })
  return response.status
}

beforeAll(async () => {
  await createTopics(kafka, [{ topic }])
  ingress = await startTestIngress(config, { brokers: kafkaBrokers(), topic })
  await ingress.ready()
})

afterAll(async () => {
  await ingress?.close()
})

describe("API key in a header", () => {
  it("either listed key (any header case) → 202; wrong, empty, missing, or sent in the query → 401", async () => {
    expect(await post("t-key-header", { "x-api-key": KEY_OLD })).toBe(202)
    expect(await post("t-key-header", { "X-Api-Key": KEY_NEW })).toBe(202)
    expect(await post("t-key-header", { "x-api-key": `${KEY_NEW}x` })).toBe(401)
    expect(await post("t-key-header", { "x-api-key": KEY_NEW.slice(0, -1) })).toBe(401)
    expect(await post("t-key-header", { "x-api-key": "" })).toBe(401)
    expect(await post("t-key-header")).toBe(401)
    expect(await post(`t-key-header?api_key=${KEY_NEW}`)).toBe(401)
    expect(await post("t-key-header", { authorization: `Bearer ${KEY_NEW}` })).toBe(401)
  })
})

describe("API key in the query", () => {
  it("the listed key → 202 (also among other parameters, URL-encoded); wrong, missing, in a header → 401", async () => {
    expect(await post(`t-key-query?api_key=${KEY_NEW}`)).toBe(202)
    expect(await post(`t-key-query?source=shop&api_key=${encodeURIComponent(KEY_NEW)}&x=1`)).toBe(202)
    expect(await post(`t-key-query?api_key=${KEY_OLD}`)).toBe(401)
    expect(await post("t-key-query?api_key=")).toBe(401)
    expect(await post("t-key-query")).toBe(401)
    expect(await post("t-key-query?apikey=nope")).toBe(401)
    expect(await post("t-key-query", { "x-api-key": KEY_NEW, api_key: KEY_NEW })).toBe(401)
  })
})

describe("the topic afterwards", () => {
  it("holds the accepted events and no key anywhere in them (header or query)", async () => {
    expect(accepted).toHaveLength(4)
    const records = await consumeRecords(kafka, { topic, count: accepted.length })
    expect(records.map((r) => (JSON.parse(r.value ?? "{}") as { id: string }).id).sort()).toEqual([...accepted].sort())
    for (const record of records) {
      const everything = JSON.stringify({ value: record.value, headers: record.headers, key: record.key })
      expect(everything).not.toContain(KEY_OLD)
      expect(everything).not.toContain(KEY_NEW)
    }
  })
})
