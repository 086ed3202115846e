/**
 * The ingress's auth matrix against a real broker: for each method a valid request (202),
 * a wrong credential, a missing one, and for the timestamped HMAC styles a replay older than
 * the tolerance (401 each, with no detail). GitHub, bearer, basic and the IP allowlist carry
 * no timestamp: they have no replay window to test (a GitHub replay keeps its
 * X-GitHub-Delivery, i.e. its event id, which is what lets destinations drop it). Event ids
 * come only from what a stream's signature covers: forged delivery headers change nothing.
 * Last, the topic is read back: exactly the 202s are on it, once each.
 */
import { randomUUID } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { consumeRecords, createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { githubSignature, nowSeconds, standardWebhooksHeaders, stripeSignature } from "../../support/webhookSigning.ts"
import { recordsOnTopic, startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const GITHUB_SECRET = "gh-secret-for-tests"
const STRIPE_SECRET = "whsec_stripe_test_secret"
const STANDARD_SECRET = `whsec_${Buffer.from("standard webhooks test key, 32b!").toString("base64")}`
const STANDARD_OLD_SECRET = `whsec_${Buffer.from("the previous key, still accepted").toString("base64")}`

const stream = (id: string, ingress: string) => `id: ${id}\ningress: ${ingress}\nchain:\n  - module: log\n`

const config = streamsFrom({
  "bearer.yaml": stream("t-bearer", "{ auth: { bearer: { tokens: [token-old, token-new] } } }"),
  "basic.yaml": stream("t-basic", "{ auth: { basic: { users: [{ username: shop, password: 'pa:ss' }] } } }"),
  "github.yaml": stream("t-github", `{ auth: { hmac: { style: github, secrets: [${GITHUB_SECRET}] } } }`),
  "stripe.yaml": stream(
    "t-stripe",
    `{ auth: { hmac: { style: stripe, secrets: [${STRIPE_SECRET}], tolerance: 5m } } }`
  ),
  "standard.yaml": stream(
    "t-standard",
    `{ auth: { hmac: { style: standard_webhooks, secrets: ["${STANDARD_SECRET}", "${STANDARD_OLD_SECRET}"], tolerance: 5m } } }`
  ),
  "ip-ok.yaml": stream("t-ip-ok", "{ auth: { ip_allowlist: [127.0.0.0/8, '::1'] } }"),
  "ip-no.yaml": stream("t-ip-no", "{ auth: { ip_allowlist: [10.0.0.0/8] } }"),
  "combo.yaml": stream(
    "t-combo",
    `{ auth: { ip_allowlist: [10.0.0.0/8], hmac: { style: github, secrets: [${GITHUB_SECRET}] } } }`
  ),
  "both.yaml": stream(
    "t-both",
    `{ auth: { bearer: { tokens: [token-b] }, hmac: { style: github, secrets: [${GITHUB_SECRET}] } } }`
  )
})

const topic = uniqueName("ingress-auth")
const kafka = testKafka("ingress-auth-test")
let ingress: TestIngress
/** event id of every 202, and the delivery id of every other answer */
const accepted: Array<string> = []
const refused: Array<string> = []

const json = "application/json"

/** streams whose signature yields the event id (GitHub's delivery header, webhook-id, Stripe's evt_) */
const SIGNED_IDS = new Set(["t-github", "t-stripe", "t-standard", "t-combo", "t-both"])
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/

/** POST with a fresh delivery id; records the outcome for the read-back at the end. */
const send = async (webhookId: string, headers: Record<string, string>, body: string) => {
  const delivery = (headers["webhook-id"] as string | undefined) ?? randomUUID()
  const response = await ingress.post(webhookId, {
    headers: { "content-type": json, "x-github-delivery": delivery, ...headers },
    body
  })
  const text = await response.text()
  if (response.status === 202) {
    const eventId = (JSON.parse(text) as { event_id: string }).event_id
    if (SIGNED_IDS.has(webhookId)) expect(eventId).toBe(delivery)
    else expect(eventId).toMatch(ULID)
    accepted.push(eventId)
  } else {
    refused.push(delivery)
  }
  return { status: response.status, text }
}

const expectUnauthorized = (result: { status: number; text: string }) => {
  expect(result.status).toBe(401)
  expect(JSON.parse(result.text)).toEqual({ error: "unauthorized" })
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

beforeAll(async () => {
  await createTopics(kafka, [{ topic }])
  ingress = await startTestIngress(config, { brokers: kafkaBrokers(), topic })
  await ingress.ready()
})

afterAll(async () => {
  await ingress?.close()
})

describe("bearer", () => {
  it("valid (either rotated token) → 202; wrong, missing, wrong scheme → 401", async () => {
    expect((await send("t-bearer", { authorization: "Bearer token-old" }, "{}")).status).toBe(202)
    expect((await send("t-bearer", { authorization: "Bearer token-new" }, "{}")).status).toBe(202)
    expectUnauthorized(await send("t-bearer", { authorization: "Bearer token-wrong" }, "{}"))
    expectUnauthorized(await send("t-bearer", {}, "{}"))
    expectUnauthorized(await send("t-bearer", { authorization: basic("token-old", "") }, "{}"))
  })
})

describe("basic", () => {
  it("valid → 202; wrong password, unknown user, missing → 401", async () => {
    expect((await send("t-basic", { authorization: basic("shop", "pa:ss") }, "{}")).status).toBe(202)
    expectUnauthorized(await send("t-basic", { authorization: basic("shop", "pa:sS") }, "{}"))
    expectUnauthorized(await send("t-basic", { authorization: basic("shopx", "pa:ss") }, "{}"))
    expectUnauthorized(await send("t-basic", {}, "{}"))
  })
})

describe("HMAC, GitHub style", () => {
  it("valid → 202; wrong secret, body changed after signing, missing → 401", async () => {
    const body = '{"zen":"Keep it logically awesome."}'
    expect((await send("t-github", { "x-hub-signature-256": githubSignature(GITHUB_SECRET, body) }, body)).status).toBe(
      202
    )
    expectUnauthorized(await send("t-github", { "x-hub-signature-256": githubSignature("not-it", body) }, body))
    expectUnauthorized(
      await send(
        "t-github",
        { "x-hub-signature-256": githubSignature(GITHUB_SECRET, body) },
        body.replace("awesome", "AWESOME")
      )
    )
    expectUnauthorized(await send("t-github", {}, body))
  })

  it("the signature covers the exact bytes: a semantically equal re-serialisation does not pass", async () => {
    const signed = '{"a": 1}'
    expectUnauthorized(
      await send("t-github", { "x-hub-signature-256": githubSignature(GITHUB_SECRET, signed) }, '{"a":1}')
    )
  })
})

describe("HMAC, Stripe style", () => {
  it("valid → 202; wrong secret, missing → 401; replayed older than the tolerance → 401", async () => {
    const body = `{"id":"evt_${randomUUID().replace(/-/g, "")}","object":"event"}`
    const id = (JSON.parse(body) as { id: string }).id
    const ok = await send(
      "t-stripe",
      { "webhook-id": id, "stripe-signature": stripeSignature(STRIPE_SECRET, body, nowSeconds()) },
      body
    )
    expect(ok.status).toBe(202)
    expectUnauthorized(
      await send("t-stripe", { "stripe-signature": stripeSignature("whsec_nope", body, nowSeconds()) }, body)
    )
    expectUnauthorized(await send("t-stripe", {}, body))
    expectUnauthorized(
      await send("t-stripe", { "stripe-signature": stripeSignature(STRIPE_SECRET, body, nowSeconds() - 6 * 60) }, body)
    )
  })

  it("the event id is Stripe's evt_ id from the body when no delivery header is sent", async () => {
    const id = `evt_${randomUUID().replace(/-/g, "")}`
    const body = `{"id":"${id}","object":"event"}`
    const response = await ingress.post("t-stripe", {
      headers: { "content-type": json, "stripe-signature": stripeSignature(STRIPE_SECRET, body, nowSeconds()) },
      body
    })
    expect(response.status).toBe(202)
    expect(await response.json()).toEqual({ event_id: id })
    accepted.push(id)
  })
})

describe("HMAC, Standard Webhooks style", () => {
  it("valid with the current or the previous secret → 202; wrong, missing, too old, from the future → 401", async () => {
    const body = '{"type":"invoice.paid"}'
    const signed = (secret: string, t = nowSeconds(), id = `msg_${randomUUID()}`) =>
      standardWebhooksHeaders(secret, id, body, t)
    expect((await send("t-standard", signed(STANDARD_SECRET), body)).status).toBe(202)
    expect((await send("t-standard", signed(STANDARD_OLD_SECRET), body)).status).toBe(202)
    expectUnauthorized(
      await send("t-standard", signed(`whsec_${Buffer.from("a stranger's key").toString("base64")}`), body)
    )
    expectUnauthorized(await send("t-standard", {}, body))
    expectUnauthorized(await send("t-standard", signed(STANDARD_SECRET, nowSeconds() - 6 * 60), body))
    expectUnauthorized(await send("t-standard", signed(STANDARD_SECRET, nowSeconds() + 6 * 60), body))
  })

  it("several signatures during a sender's rotation: one valid among them passes", async () => {
    const body = '{"type":"rotation"}'
    const good = standardWebhooksHeaders(STANDARD_SECRET, `msg_${randomUUID()}`, body, nowSeconds())
    const other = standardWebhooksHeaders(
      `whsec_${Buffer.from("the sender's other key").toString("base64")}`,
      good["webhook-id"] as string,
      body,
      nowSeconds()
    )
    const headers = { ...good, "webhook-signature": `${other["webhook-signature"]} ${good["webhook-signature"]}` }
    expect((await send("t-standard", headers, body)).status).toBe(202)
  })

  it("the webhook-id is the event id, so the provider's retries are recognisable", async () => {
    const id = `msg_${randomUUID()}`
    const result = await send("t-standard", standardWebhooksHeaders(STANDARD_SECRET, id, "{}", nowSeconds()), "{}")
    expect(JSON.parse(result.text)).toEqual({ event_id: id })
  })
})

describe("event ids come only from what the stream's signature covers", () => {
  const forged = () => ({
    "x-github-delivery": `forged-${randomUUID()}`,
    "svix-id": `forged-${randomUUID()}`,
    "x-gitlab-event-uuid": `forged-${randomUUID()}`,
    "x-shopify-webhook-id": `forged-${randomUUID()}`
  })
  const post = async (webhookId: string, headers: Record<string, string>, body: string) => {
    const response = await ingress.post(webhookId, { headers: { "content-type": json, ...headers }, body })
    expect(response.status).toBe(202)
    const { event_id } = (await response.json()) as { event_id: string }
    accepted.push(event_id)
    return event_id
  }

  it("Stripe: the body's evt_ id, whatever delivery headers come with it; a replay within the tolerance keeps it", async () => {
    const id = `evt_${randomUUID().replace(/-/g, "")}`
    const body = `{"id":"${id}","object":"event"}`
    const signature = stripeSignature(STRIPE_SECRET, body, nowSeconds())
    const captured = { "stripe-signature": signature, "webhook-id": `forged-${randomUUID()}` }
    expect(await post("t-stripe", { ...forged(), ...captured }, body)).toBe(id)
    // the same captured request, replayed with fresh headers: same id, so destinations drop it
    expect(await post("t-stripe", { ...forged(), ...captured }, body)).toBe(id)
  })

  it("Standard Webhooks: the signed webhook-id, never svix-id or X-GitHub-Delivery", async () => {
    const id = `msg_${randomUUID()}`
    const headers = standardWebhooksHeaders(STANDARD_SECRET, id, "{}", nowSeconds())
    expect(await post("t-standard", { ...forged(), ...headers }, "{}")).toBe(id)
  })

  it("bearer, basic, IP allowlist: no header names the event, each request gets a new ULID", async () => {
    const headers = { ...forged(), "webhook-id": `forged-${randomUUID()}` }
    const ids = [
      await post("t-bearer", { ...headers, authorization: "Bearer token-new" }, "{}"),
      await post("t-bearer", { ...headers, authorization: "Bearer token-new" }, "{}"),
      await post("t-basic", { ...headers, authorization: basic("shop", "pa:ss") }, "{}"),
      await post("t-ip-ok", headers, "{}")
    ]
    for (const id of ids) expect(id).toMatch(ULID)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe("IP allowlist", () => {
  it("a listed client → 202; an unlisted one → 401", async () => {
    expect((await send("t-ip-ok", {}, "{}")).status).toBe(202)
    expectUnauthorized(await send("t-ip-no", {}, "{}"))
  })
})

describe("combined methods: every configured one must pass", () => {
  it("a valid signature from an unlisted address → 401", async () => {
    const body = '{"combo":true}'
    expectUnauthorized(await send("t-combo", { "x-hub-signature-256": githubSignature(GITHUB_SECRET, body) }, body))
  })

  it("bearer and HMAC: both valid → 202; either one missing or wrong → 401", async () => {
    const body = '{"both":true}'
    const signature = githubSignature(GITHUB_SECRET, body)
    expect(
      (await send("t-both", { authorization: "Bearer token-b", "x-hub-signature-256": signature }, body)).status
    ).toBe(202)
    expectUnauthorized(await send("t-both", { "x-hub-signature-256": signature }, body))
    expectUnauthorized(await send("t-both", { authorization: "Bearer token-b" }, body))
    expectUnauthorized(
      await send("t-both", { authorization: "Bearer token-x", "x-hub-signature-256": signature }, body)
    )
  })
})

describe("the topic afterwards", () => {
  it("holds exactly the accepted events, once each, and nothing of any refused request", async () => {
    expect(accepted.length).toBeGreaterThan(10)
    expect(refused.length).toBeGreaterThan(20)
    const records = await consumeRecords(kafka, { topic, count: accepted.length })
    const ids = records.map((r) => (JSON.parse(r.value ?? "{}") as { id: string }).id)
    expect(ids.sort()).toEqual([...accepted].sort())
    expect(await recordsOnTopic(kafka, topic)).toBe(accepted.length)
    for (const id of refused) expect(ids).not.toContain(id)
  })
})
